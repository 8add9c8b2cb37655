using System;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Readiness;
using OsvPS.Core.Models;

namespace OsvPS.Commands
{
    /// <summary>
    /// Waits until instances are no longer running (or, with -Ready, until they answer) and returns them.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "OsvInstance")]
    [OutputType(typeof(OsvInstance))]
    public sealed class WaitOsvInstanceCommand : InstanceCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(OsvPS.Completers.InstanceNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Give up after this many seconds, or a time span such as '00:02:00' (the instance keeps running; an error says so).</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan? Timeout { get; set; }

        /// <summary>Wait until the instance answers this probe instead of for its end: tcp:PORT (the guest's port, through its forward), http://ADDRESS:PORT/PATH or console:REGEX.</summary>
        [Parameter]
        [ReadinessProbeTransformation]
        public ReadinessProbe? Ready { get; set; }

        protected override void ProcessRecord() => ForEachInstance(Name, (engine, instance) =>
        {
            if (Ready != null)
            {
                WaitReady(engine, instance, Ready);
                return;
            }
            var ended = instance;
            if (instance.State == InstanceState.Running)
            {
                using (var running = engine.Attach(instance.Name, CancellationToken))
                {
                    var options = new FollowOptions { Timeout = Timeout, Tick = InstanceProgress("Waiting for", instance.Name, Timeout) };
                    var result = InstanceFollower.Follow(engine, running, options, CancellationToken);
                    CompleteInstanceProgress();
                    if (result.Instance == null)
                    {
                        throw new OsvException(ErrorIds.WaitTimedOut, OsvErrorKind.OperationTimeout,
                            $"instance '{instance.Name}' was still running after {Timeout}.", instance);
                    }
                    ended = result.Instance;
                }
            }
            WriteObject(ended);
            WriteGuestFailure(ended);
        });

        private void WaitReady(IInstanceEngine engine, OsvInstance instance, ReadinessProbe probe)
        {
            if (instance.State != InstanceState.Running)
            {
                throw ReadinessCheck.NotRunning(engine, instance, probe, CancellationToken);
            }
            using (var running = engine.Attach(instance.Name, CancellationToken))
            {
                WriteObject(WaitUntilReady(engine, running, probe, Timeout));
            }
        }
    }
}
