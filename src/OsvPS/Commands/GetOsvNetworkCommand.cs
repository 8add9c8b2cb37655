using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists the networks of instances of this repository, with their state and the addresses their instances hold; with
    /// -Connection, the networks of that libvirt connection (all of them), their instances being their DNS host records.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvNetwork")]
    [OutputType(typeof(OsvNetwork))]
    public sealed class GetOsvNetworkCommand : OsvCmdlet
    {
        /// <summary>Network names; wildcards allowed (default: all).</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NetworkNameCompleter))]
        public string[]? Name { get; set; }

        /// <summary>A libvirt connection URI (qemu:///system, qemu+ssh://host/system): that connection's networks instead of this machine's.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? Connection { get; set; }

        protected override void ProcessRecord()
        {
            System.Collections.Generic.IReadOnlyList<OsvNetwork> networks;
            string where;
            if (string.IsNullOrEmpty(Connection))
            {
                var repository = new CapstanRepository();
                networks = new LocalNetworks(repository.Root).List();
                where = System.IO.Path.Combine(repository.Root, "networks");
            }
            else
            {
                try
                {
                    using (var libvirt = LibvirtNetworks.Open(Connection!))
                    {
                        networks = libvirt.List();
                    }
                }
                catch (OsvException e)
                {
                    WriteFailure(e, Connection); // this connection's item; the pipeline's others go on
                    return;
                }
                where = Connection!;
            }
            foreach (string name in Name ?? new[] { "*" })
            {
                WriteObject(MatchByName(networks, n => n.Name, name, ErrorIds.NetworkNotFound, $"there is no network '{name}' in {where}."), enumerateCollection: true);
            }
        }
    }
}
