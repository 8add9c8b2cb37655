using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>Lists the networks of instances of this repository, with their state and the addresses their instances hold.</summary>
    [Cmdlet(VerbsCommon.Get, "OsvNetwork")]
    [OutputType(typeof(OsvNetwork))]
    public sealed class GetOsvNetworkCommand : OsvCmdlet
    {
        /// <summary>Network names; wildcards allowed (default: all).</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NetworkNameCompleter))]
        public string[]? Name { get; set; }

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            var networks = new LocalNetworks(repository.Root).List();
            foreach (string name in Name ?? new[] { "*" })
            {
                WriteObject(MatchByName(networks, n => n.Name, name, ErrorIds.NetworkNotFound, $"there is no network '{name}' in {System.IO.Path.Combine(repository.Root, "networks")}."), enumerateCollection: true);
            }
        }
    }
}
