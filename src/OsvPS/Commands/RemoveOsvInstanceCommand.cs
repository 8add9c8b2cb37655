using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;

namespace OsvPS.Commands
{
    /// <summary>
    /// Removes instances (their overlay, console log and state); a running one only with -Force.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "OsvInstance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OsvInstance))]
    public sealed class RemoveOsvInstanceCommand : InstanceCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(OsvPS.Completers.InstanceNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Stop a running instance first.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Write each removed instance, as it was before the removal.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord() => ForEachInstance(Name, (engine, instance) =>
        {
            if (ShouldProcess(instance.Name, "Remove OSv instance"))
            {
                engine.Remove(instance.Name, Force, CancellationToken);
                if (PassThru)
                {
                    WriteObject(instance);
                }
            }
        });

        // An instance whose state cannot be read is removed with -Force, as its error says; without, it is that error.
        protected override void Damaged(IInstanceEngine engine, OsvException damage)
        {
            string name = damage.Target as string ?? "";
            if (!Force)
            {
                base.Damaged(engine, damage);
            }
            else if (ShouldProcess(name, "Remove OSv instance"))
            {
                engine.Remove(name, true, CancellationToken);
            }
        }
    }
}
