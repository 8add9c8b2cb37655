using System;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Waits until instances are no longer running and returns them.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "OsvInstance")]
    [OutputType(typeof(OsvInstance))]
    public sealed class WaitOsvInstanceCommand : OsvCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Give up after this many seconds, or a time span such as '00:02:00' (the instance keeps running; an error says so).</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan? Timeout { get; set; }

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
                        if (!manager.Wait(instance.Name, Timeout, CancellationToken))
                        {
                            throw new OsvException("WaitTimedOut", OsvErrorKind.OperationTimeout,
                                $"instance '{instance.Name}' was still running after {Timeout}.", instance.Name);
                        }
                        var ended = manager.Get(instance.Name, CancellationToken);
                        WriteObject(ended);
                        WriteGuestFailure(ended);
                    });
                }
            }
        }
    }
}
