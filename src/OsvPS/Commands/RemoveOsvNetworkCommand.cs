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
    /// stops them first. Needs root (CAP_NET_ADMIN). With -Connection (or networks from the pipeline that carry one), destroys
    /// and undefines that libvirt connection's network.
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

        /// <summary>A libvirt connection URI: remove that connection's networks (by name) instead of this machine's.</summary>
        [Parameter(ParameterSetName = NameSet)]
        [ValidateNotNullOrEmpty]
        public string? Connection { get; set; }

        private readonly EngineCache engines = new EngineCache();
        private readonly Dictionary<string, LibvirtNetworks> connections = new Dictionary<string, LibvirtNetworks>();

        private LibvirtNetworks Libvirt(string uri)
        {
            if (!connections.TryGetValue(uri, out var open))
            {
                open = LibvirtNetworks.Open(uri);
                connections[uri] = open;
            }
            return open;
        }

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            List<OsvNetwork> targets;
            if (ParameterSetName == NameSet && Connection != null)
            {
                IReadOnlyList<OsvNetwork> listed;
                try
                {
                    listed = Libvirt(Connection).List();
                }
                catch (OsvException e)
                {
                    ThrowFailure(e, Connection); // nothing of that connection can be removed
                    return;
                }
                targets = Targets(InputObject, Name, n => MatchByName(listed, x => x.Name, n, ErrorIds.NetworkNotFound, $"{Connection} has no network '{n}'."));
            }
            else
            {
                var local = new LocalNetworks(repository.Root);
                targets = Targets(InputObject, Name, n => MatchByName(local.List(), x => x.Name, n, ErrorIds.NetworkNotFound, $"there is no network '{n}' in {System.IO.Path.Combine(repository.Root, "networks")}."));
            }
            foreach (var network in targets)
            {
                ForItem(network.Name, () =>
                {
                    var engine = engines.Open(network.Connection, repository);
                    var users = engine.List(CancellationToken).Where(i => i.State == InstanceState.Running && i.Network == network.Name).Select(i => i.Name).ToList();
                    if (users.Count > 0 && !Force)
                    {
                        throw new OsvException(ErrorIds.NetworkInUse, OsvErrorKind.InvalidOperation,
                            $"network '{network.Name}'{On(network)} has running instances: {string.Join(", ", users)}; stop them first (Stop-OsvInstance), or use -Force.", network);
                    }
                    string action = users.Count > 0 ? $"Stop instance(s) {string.Join(", ", users)} and remove network" : "Remove network";
                    string what = network.Connection != null ? $"destroy and undefine the libvirt network, bridge {network.Bridge}" : $"bridge {network.Bridge}, its dnsmasq and state";
                    if (!ShouldProcess(network.Name + On(network), $"{action} ({what})"))
                    {
                        return;
                    }
                    var local = network.Connection == null ? new LocalNetworks(repository.Root) : null;
                    local?.RequireAdmin($"Remove-OsvNetwork {network.Name}", network.Name);
                    foreach (string user in users)
                    {
                        engine.Stop(user, System.TimeSpan.Zero, true, CancellationToken);
                    }
                    if (local != null)
                    {
                        local.Remove(network.Name, CancellationToken);
                    }
                    else
                    {
                        Libvirt(network.Connection!).Remove(network.Name);
                    }
                    Removed(network);
                });
            }
        }

        private static string On(OsvNetwork network) => network.Connection != null ? $" on {network.Connection}" : "";

        protected override void ReleaseResources()
        {
            engines.Dispose();
            foreach (var open in connections.Values)
            {
                open.Dispose();
            }
            connections.Clear();
        }
    }
}
