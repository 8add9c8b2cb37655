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

        protected override void ProcessRecord()
        {
            var manager = new InstanceManager(new CapstanRepository());
            ForItem(Name, () =>
            {
                var instance = manager.Get(Name);
                if (!Wait)
                {
                    WriteObject(manager.ReadConsole(Name, Tail), enumerateCollection: true);
                    return;
                }
                using (var follower = new ConsoleFollower(instance.ConsolePath))
                {
                    List<string> first = follower.Poll();
                    int skip = Tail.HasValue && first.Count > Tail.Value ? first.Count - Tail.Value : 0;
                    WriteObject(first.GetRange(skip, first.Count - skip), enumerateCollection: true);
                    while (!CancellationToken.IsCancellationRequested && manager.Get(Name).State == InstanceState.Running)
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
