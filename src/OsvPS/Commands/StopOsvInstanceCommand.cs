using System;
using System.Management.Automation;
using OsvPS.Core.Models;

namespace OsvPS.Commands
{
    /// <summary>
    /// Stops instances: an ACPI power-down, then QEMU is made to quit after -Timeout.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Stop, "OsvInstance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OsvInstance))]
    public sealed class StopOsvInstanceCommand : InstanceCmdlet
    {
        /// <summary>Instance names (wildcards allowed), or instances from the pipeline by their Name.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(OsvPS.Completers.InstanceNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        /// <summary>How long the guest may take to power down before QEMU is made to quit: seconds, or a time span ('00:00:30'); default 10 seconds.</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Quit at once, without asking the guest to power down.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord() => ForEachInstance(Name, (engine, instance) =>
        {
            if (ShouldProcess(instance.Name, "Stop OSv instance"))
            {
                var stopped = engine.Stop(instance.Name, Timeout, Force, CancellationToken);
                if (PassThru)
                {
                    WriteObject(stopped);
                }
            }
        });
    }
}
