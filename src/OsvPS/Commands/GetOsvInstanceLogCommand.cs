using System.Management.Automation;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;

namespace OsvPS.Commands
{
    /// <summary>
    /// Reads an instance's serial console log; -Wait follows it while the instance runs.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvInstanceLog")]
    [OutputType(typeof(string))]
    public sealed class GetOsvInstanceLogCommand : InstanceCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(OsvPS.Completers.InstanceNameCompleter))]
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
            var engine = Engine();
            if (engine == null)
            {
                return;
            }
            ForItem(Name, () =>
            {
                var lines = engine.ReadConsole(Name, Tail, CancellationToken);
                if (!Wait || engine.Get(Name, CancellationToken).State != InstanceState.Running)
                {
                    WriteObject(lines, enumerateCollection: true);
                    return;
                }
                int before = Tail.HasValue ? engine.ReadConsole(Name, null, CancellationToken).Count - lines.Count : 0;
                using (var running = engine.Attach(Name, CancellationToken))
                {
                    InstanceFollower.Follow(engine, running, new FollowOptions { StopOnFailure = false, Skip = before, Line = WriteObject, HiddenLine = WriteVerbose }, CancellationToken);
                }
            });
        }
    }
}
