using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Removes networks: the dnsmasq, the bridge and the state. Refuses a network instances run on, unless -Force, which
    /// stops them first. Needs root (CAP_NET_ADMIN).
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "OsvNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NameSet)]
    [OutputType(typeof(OsvNetwork))]
    public sealed class RemoveOsvNetworkCommand : RemoveCmdlet<OsvNetwork>
    {
        /// <summary>Network names; wildcards allowed.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NetworkNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Networks from Get-OsvNetwork or New-OsvNetwork.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
        public OsvNetwork[] InputObject { get; set; } = new OsvNetwork[0];

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            var networks = new LocalNetworks(repository.Root);
            var targets = Targets(InputObject, Name, n => MatchByName(networks.List(), x => x.Name, n, ErrorIds.NetworkNotFound, $"there is no network '{n}' in {System.IO.Path.Combine(repository.Root, "networks")}."));
            foreach (var network in targets)
            {
                ForItem(network.Name, () =>
                {
                    using var engine = InstanceEngines.Open(null, repository);
                    var users = engine.List(CancellationToken).Where(i => i.State == InstanceState.Running && i.Network == network.Name).Select(i => i.Name).ToList();
                    if (users.Count > 0 && !Force)
                    {
                        throw new OsvException(ErrorIds.NetworkInUse, OsvErrorKind.InvalidOperation,
                            $"network '{network.Name}' has running instances: {string.Join(", ", users)}; stop them first (Stop-OsvInstance), or use -Force.", network);
                    }
                    string action = users.Count > 0 ? $"Stop instance(s) {string.Join(", ", users)} and remove network" : "Remove network";
                    if (!ShouldProcess(network.Name, $"{action} (bridge {network.Bridge}, its dnsmasq and state)"))
                    {
                        return;
                    }
                    networks.RequireAdmin($"Remove-OsvNetwork {network.Name}", network.Name);
                    foreach (string user in users)
                    {
                        engine.Stop(user, System.TimeSpan.Zero, true, CancellationToken);
                    }
                    networks.Remove(network.Name, CancellationToken);
                    Removed(network);
                });
            }
        }
    }
}
