using System.Management.Automation;
using OsvPS.Core.Models;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists instances with their state: Running, Stopped, Failed or Crashed.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvInstance")]
    [OutputType(typeof(OsvInstance))]
    public sealed class GetOsvInstanceCommand : InstanceCmdlet
    {
        /// <summary>Instance names; wildcards allowed (default: all).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(OsvPS.Completers.InstanceNameCompleter))]
        public string[]? Name { get; set; }

        /// <summary>Only the instances in one of these states (Running, Stopped, Failed, Crashed).</summary>
        [Parameter]
        public InstanceState[]? State { get; set; }

        protected override void ProcessRecord()
            => ForEachInstance(Name ?? new[] { "*" }, (engine, instance) =>
            {
                if (State == null || System.Array.IndexOf(State, instance.State) >= 0)
                {
                    WriteObject(instance);
                }
            });
    }
}
