using System.Management.Automation;
using OsvPS.Core.Instances.Readiness;

namespace OsvPS.Commands
{
    /// <summary>
    /// Probes instances once and tells whether each is ready: a result a runbook can filter on Ready.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "OsvInstance")]
    [OutputType(typeof(OsvReadiness))]
    public sealed class TestOsvInstanceCommand : InstanceCmdlet
    {
        /// <summary>Instance names; wildcards allowed; binds the Name of instances from the pipeline.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(OsvPS.Completers.InstanceNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        /// <summary>What to ask: tcp:PORT (the guest's port, through the instance's forward), http://ADDRESS:PORT/PATH or console:REGEX; without it, whether the instance is running.</summary>
        [Parameter]
        [ReadinessProbeTransformation]
        public ReadinessProbe? Probe { get; set; }

        protected override void ProcessRecord() => ForEachInstance(Name, (engine, instance) =>
            WriteObject(ReadinessCheck.Once(engine, instance, Probe ?? ReadinessProbe.Running, CancellationToken)));
    }
}
