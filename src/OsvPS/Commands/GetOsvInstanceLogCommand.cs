using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Reads an instance's serial console log; -Wait follows it while the instance runs.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvInstanceLog")]
    [OutputType(typeof(string))]
    public sealed class GetOsvInstanceLogCommand : OsvCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        public string Name { get; set; } = "";

        /// <summary>Only the last N lines.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int? Tail { get; set; }

        /// <summary>Keep writing new lines until the instance stops (or Ctrl+C).</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

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
            ForItem(Name, () =>
            {
                var instance = manager.Get(Name, CancellationToken);
                if (!Wait)
                {
                    WriteObject(ConsoleFollower.ReadLines(instance.ConsolePath, Tail), enumerateCollection: true);
                    return;
                }
                using (var follower = new ConsoleFollower(instance.ConsolePath))
                {
                    List<string> first = follower.Poll();
                    int skip = Tail.HasValue && first.Count > Tail.Value ? first.Count - Tail.Value : 0;
                    WriteObject(first.GetRange(skip, first.Count - skip), enumerateCollection: true);
                    while (!CancellationToken.IsCancellationRequested && manager.Get(Name, CancellationToken).State == InstanceState.Running)
                    {
                        WriteObject(follower.Poll(), enumerateCollection: true);
                        CancellationToken.WaitHandle.WaitOne(50);
                    }
                    WriteObject(follower.Drain(), enumerateCollection: true);
                }
            });
        }
    }
}
