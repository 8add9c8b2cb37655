using System.Management.Automation;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Removes instances (their overlay, console log and state); a running one only with -Force.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "OsvInstance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OsvInstance))]
    public sealed class RemoveOsvInstanceCommand : OsvCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Stop a running instance first.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>A libvirt connection URI (qemu:///system, qemu+ssh://host/system); without it, the instances QEMU runs on this machine. Binds from instances in the pipeline.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? Connection { get; set; }

        protected override void ProcessRecord()
        {
            var manager = InstanceEngine(Connection);
            if (manager == null)
            {
                return;
            }
            foreach (string pattern in Name)
            {
                foreach (var instance in MatchInstances(manager, pattern))
                {
                    ForItem(instance.Name, () =>
                    {
                        if (ShouldProcess(instance.Name, "Remove OSv instance"))
                        {
                            manager.Remove(instance.Name, Force, CancellationToken);
                        }
                    });
                }
            }
        }
    }
}
