using System.Management.Automation;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists instances with their state: Running, Stopped or Crashed.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvInstance")]
    [OutputType(typeof(OsvInstance))]
    public sealed class GetOsvInstanceCommand : OsvCmdlet
    {
        /// <summary>Instance names; wildcards allowed (default: all).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        public string[]? Name { get; set; }

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
            foreach (string name in Name ?? new[] { "*" })
            {
                WriteObject(MatchInstances(manager, name), enumerateCollection: true);
            }
        }
    }
}
