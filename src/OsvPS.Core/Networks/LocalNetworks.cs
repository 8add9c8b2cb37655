using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Networks
{
    /// <summary>An address an instance holds on a network, and what its guest and its QEMU need to use it.</summary>
    internal sealed class NetworkLease
    {
        public NetworkLease(string network, Subnet subnet, uint address, string bridge, uint? gateway = null)
        {
            Network = network;
            Subnet = subnet;
            Address = address;
            Bridge = bridge;
            Gateway = gateway ?? subnet.Gateway;
        }

        /// <summary>The host's address on the network: the guest's default gateway and name server (an OsvPS network's first address).</summary>
        public uint Gateway { get; }
        public string Network { get; }
        public Subnet Subnet { get; }
        public uint Address { get; }
        public string Bridge { get; }
        public string AddressText => Subnet.Format(Address);

        /// <summary>
        /// OSv's loader options for it (loader.cc): a static address on eth0 (OSv then starts no DHCP client on any NIC),
        /// the bridge as the default gateway and as the name server; with <paramref name="forwards"/>, the static address
        /// of the second NIC (eth1) that carries them.
        /// </summary>
        public string LoaderOptions(bool forwards)
            => $"--ip=eth0,{AddressText},{Subnet.MaskText}" + (forwards ? $" --ip=eth1,{Subnet.Format(ForwardGuest)},{ForwardSubnet.MaskText}" : "") +
                $" --defaultgw={Subnet.Format(Gateway)} --nameserver={Subnet.Format(Gateway)}";

        /// <summary>The user network of the NIC that carries forwards: QEMU's usual 10.0.2.0/24, or another one when the network's subnet overlaps it.</summary>
        public Subnet ForwardSubnet => ForwardSubnets.First(f => !f.Overlaps(Subnet));

        /// <summary>The guest's address on <see cref="ForwardSubnet"/> (the 15th, as QEMU's DHCP would give).</summary>
        public uint ForwardGuest => ForwardSubnet.Network + 15;

        private static readonly Subnet[] ForwardSubnets = { Subnet.Parse("10.0.2.0/24"), Subnet.Parse("192.168.122.0/24"), Subnet.Parse("172.31.254.0/24") };
    }

    /// <summary>The networks of instances of one repository, on this machine (<c>$CAPSTAN_ROOT/networks/</c>).</summary>
    public sealed class LocalNetworks
    {
        private readonly string root;

        public LocalNetworks(string repositoryRoot)
        {
            root = repositoryRoot;
        }

        private string NetworksPath => Path.Combine(root, "networks");

        public IReadOnlyList<OsvNetwork> List()
        {
            if (!Directory.Exists(NetworksPath))
            {
                return new List<OsvNetwork>();
            }
            return Directory.GetDirectories(NetworksPath).Select(p => Path.GetFileName(p)!).Where(NetworkNames.IsValid)
                .OrderBy(n => n, StringComparer.Ordinal).Select(n => NetworkState.Load(NetworkState.FolderOf(root, n))).Where(s => s != null).Select(s => Describe(s!)).ToList();
        }

        public OsvNetwork Get(string name) => Describe(Load(name));

        /// <summary>The names of the networks, for completion (no state read).</summary>
        public IReadOnlyList<string> Names()
            => Directory.Exists(NetworksPath) ? Directory.GetDirectories(NetworksPath).Select(p => Path.GetFileName(p)!).Where(NetworkNames.IsValid).OrderBy(n => n, StringComparer.Ordinal).ToList() : new List<string>();

        internal NetworkState Load(string name)
        {
            NetworkNames.Validate(name);
            return NetworkState.Load(NetworkState.FolderOf(root, name)) ?? throw new OsvException(ErrorIds.NetworkNotFound, OsvErrorKind.ObjectNotFound,
                $"there is no network '{name}' in {NetworksPath}; create it with 'New-OsvNetwork {name}'.", name);
        }

        private static OsvNetwork Describe(NetworkState s)
        {
            var leases = s.Leases();
            return new OsvNetwork(s.Name, s.Subnet.ToString(), Subnet.Format(s.Subnet.Gateway), s.Subnet.MaskText, s.Bridge, HostNetwork.InterfaceExists(s.Bridge),
                HostNetwork.DnsPid(s.DnsPidPath), leases.Select(l => l.Instance), leases.Select(l => Subnet.Format(l.Address)), s.Created, s.Folder);
        }

        /// <summary>
        /// Checks a new network and says what it will be (-WhatIf reads it): its subnet (chosen when <paramref name="subnet"/> is
        /// null) and bridge. Nothing is made.
        /// </summary>
        public (string Subnet, string Bridge) PlanCreate(string name, string? subnet)
        {
            var (chosen, bridge) = Check(name, subnet);
            return (chosen.ToString(), bridge);
        }

        private (Subnet Subnet, string Bridge) Check(string name, string? subnetText)
        {
            NetworkNames.Validate(name);
            if (NetworkState.Load(NetworkState.FolderOf(root, name)) != null)
            {
                throw new OsvException(ErrorIds.NetworkExists, OsvErrorKind.ResourceExists, $"network '{name}' exists already (Get-OsvNetwork {name}).", name);
            }
            string bridge = NetworkNames.Bridge(name);
            var others = List().Select(n => (n.Name, Subnet: Subnet.Parse(n.Subnet), n.Bridge)).ToList();
            if (others.FirstOrDefault(o => o.Bridge == bridge) is var sameBridge && sameBridge.Name != null)
            {
                throw new OsvException(ErrorIds.NetworkExists, OsvErrorKind.ResourceExists,
                    $"network '{sameBridge.Name}' already uses the bridge name {bridge} (names longer than 9 characters are shortened); choose another name.", name);
            }
            if (HostNetwork.InterfaceExists(bridge))
            {
                throw new OsvException(ErrorIds.NetworkExists, OsvErrorKind.ResourceExists,
                    $"this host already has an interface {bridge} (another repository's network, or one left behind); choose another name, or delete it ('ip link del {bridge}').", name);
            }
            var routes = HostNetwork.Routes();
            if (subnetText == null)
            {
                var free = Subnet.ChooseFree(routes.Concat(others.Select(o => o.Subnet)).Concat(QemuUserNets));
                return (free ?? throw new OsvException(ErrorIds.NetworkSubnetInUse, OsvErrorKind.ResourceUnavailable,
                    "no 10.X.Y.0/24 is free of this host's routes and the other networks; give one with -Subnet.", name), bridge);
            }
            var subnet = Subnet.Parse(subnetText);
            foreach (var other in others.Where(o => o.Subnet.Overlaps(subnet)))
            {
                throw new OsvException(ErrorIds.NetworkSubnetInUse, OsvErrorKind.ResourceExists, $"{subnet} overlaps network '{other.Name}' ({other.Subnet}); choose another -Subnet.", subnetText);
            }
            foreach (var route in routes.Where(r => r.Overlaps(subnet)))
            {
                throw new OsvException(ErrorIds.NetworkSubnetInUse, OsvErrorKind.ResourceExists,
                    $"{subnet} overlaps this host's route to {route}: the host could not tell the two apart; choose another -Subnet.", subnetText);
            }
            return (subnet, bridge);
        }

        /// <summary>QEMU's user networks (the default one, and the forward NIC's): a network never takes them.</summary>
        internal static readonly Subnet[] QemuUserNets = { Subnet.Parse("10.0.2.0/24"), Subnet.Parse("192.168.122.0/24") };

        /// <summary>Makes the network: its state, its bridge with the gateway address, and its dnsmasq. A failure leaves nothing behind.</summary>
        public OsvNetwork Create(string name, string? subnet, CancellationToken cancellation)
        {
            var (chosen, bridge) = Check(name, subnet);
            HostNetwork.RequireAdmin($"New-OsvNetwork {name}", name);
            string folder = NetworkState.FolderOf(root, name);
            var state = new NetworkState(folder, name, chosen, bridge, DateTime.UtcNow);
            Directory.CreateDirectory(folder);
            HostProcess.MakePrivate(folder);
            try
            {
                state.SaveLeases(new (string, uint)[0]);
                HostNetwork.CreateBridge(bridge, chosen, cancellation);
                HostNetwork.StartDns(chosen, state.HostsPath, state.DnsPidPath, state.DnsLogPath, cancellation);
                state.Save();
            }
            catch
            {
                HostNetwork.StopDns(state.DnsPidPath);
                HostNetwork.DeleteInterface(bridge, CancellationToken.None);
                Directory.Delete(folder, true);
                throw;
            }
            return Describe(state);
        }

        /// <summary>Makes the bridge and dnsmasq of a network again when they are gone (the host restarted, or someone removed them).</summary>
        internal void EnsureUp(NetworkState state, CancellationToken cancellation)
        {
            if (!HostNetwork.InterfaceExists(state.Bridge))
            {
                HostNetwork.CreateBridge(state.Bridge, state.Subnet, cancellation);
            }
            if (HostNetwork.DnsPid(state.DnsPidPath) == null)
            {
                HostNetwork.StartDns(state.Subnet, state.HostsPath, state.DnsPidPath, state.DnsLogPath, cancellation);
            }
        }

        /// <summary>
        /// Gives <paramref name="instance"/> an address on <paramref name="name"/>: the one it held, else the first one no
        /// running instance holds (<paramref name="isRunning"/> says; the others' leases are dropped); the bridge and
        /// dnsmasq are made again when they are gone, and dnsmasq learns the name.
        /// </summary>
        internal NetworkLease Join(string name, string instance, Func<string, bool> isRunning, CancellationToken cancellation)
        {
            var state = Load(name);
            HostNetwork.RequireAdmin($"an instance on network '{name}'", instance);
            using (state.Lock())
            {
                EnsureUp(state, cancellation);
                // An instance started under a name that was handed on takes it back.
                var aliases = state.Aliases();
                if (aliases.Any(a => a.Alias == instance))
                {
                    state.SaveAliases(aliases.Where(a => a.Alias != instance));
                }
                var (leases, address) = Allocate(name, state.Subnet, state.Leases(), instance, isRunning);
                state.SaveLeases(leases);
                HostNetwork.ReloadDns(state.DnsPidPath);
                return new NetworkLease(name, state.Subnet, address, state.Bridge);
            }
        }

        /// <summary>
        /// The leases of <paramref name="network"/> once <paramref name="instance"/> holds an address, and that address: the one it
        /// held, else the lowest no running instance holds (the leases of instances that no longer run are dropped).
        /// </summary>
        internal static (List<(string Instance, uint Address)> Leases, uint Address) Allocate(string network, Subnet subnet,
            IEnumerable<(string Instance, uint Address)> leases, string instance, Func<string, bool> isRunning)
        {
            var kept = leases.Where(l => l.Instance == instance || isRunning(l.Instance)).ToList();
            if (kept.FirstOrDefault(l => l.Instance == instance) is var own && own.Instance != null)
            {
                return (kept, own.Address);
            }
            var taken = new HashSet<uint>(kept.Select(l => l.Address));
            uint address = subnet.InstanceAddresses().Where(a => !taken.Contains(a)).Select(a => (uint?)a).FirstOrDefault()
                ?? throw new OsvException(ErrorIds.NetworkFull, OsvErrorKind.LimitsExceeded,
                    $"network '{network}' ({subnet}) has no free address: {kept.Count} instances hold one. Stop one, or use a network with a wider subnet.", instance);
            kept.Add((instance, address));
            return (kept, address);
        }

        /// <summary>
        /// Makes the name of <paramref name="from"/> (and the names that stood for it) resolve to the address of
        /// <paramref name="to"/> on network <paramref name="name"/>: a rolling replace hands its name on, and dnsmasq answers
        /// the old name with the replacement's address at once, while the old instance still drains (it keeps its address,
        /// unnamed). An instance started later under that name takes it back.
        /// </summary>
        internal void MoveName(string name, string from, string to)
        {
            var state = Load(name);
            using (state.Lock())
            {
                var aliases = state.Aliases().Where(a => a.Alias != from && a.Alias != to)
                    .Select(a => a.Instance == from ? (a.Alias, to) : a).ToList();
                aliases.Add((from, to));
                state.SaveAliases(aliases);
                state.SaveLeases(state.Leases());
                HostNetwork.ReloadDns(state.DnsPidPath);
            }
        }

        /// <summary>Gives back the address <paramref name="instance"/> held on <paramref name="name"/> (nothing when the network is gone).</summary>
        internal void Leave(string name, string instance)
        {
            if (!NetworkNames.IsValid(name) || NetworkState.Load(NetworkState.FolderOf(root, name)) is not NetworkState state)
            {
                return;
            }
            using (state.Lock())
            {
                var leases = state.Leases();
                if (leases.Any(l => l.Instance == instance))
                {
                    state.SaveLeases(leases.Where(l => l.Instance != instance));
                    HostNetwork.ReloadDns(state.DnsPidPath);
                }
            }
        }

        /// <summary>Throws NetworkNeedsRoot when this process may not change network <paramref name="name"/> (before anything else is done to it).</summary>
        public void RequireAdmin(string what, string name) => HostNetwork.RequireAdmin(what, name);

        /// <summary>
        /// Removes the network: its dnsmasq, its bridge (the taps of instances still on it come off it) and its folder.
        /// The caller has stopped the instances on it (or refused).
        /// </summary>
        public void Remove(string name, CancellationToken cancellation)
        {
            var state = Load(name);
            HostNetwork.RequireAdmin($"Remove-OsvNetwork {name}", name);
            using (state.Lock())
            {
                HostNetwork.StopDns(state.DnsPidPath);
                HostNetwork.DeleteInterface(state.Bridge, cancellation);
            }
            Directory.Delete(state.Folder, true);
        }

        /// <summary>The tap an instance of this repository uses on a network.</summary>
        internal string TapOf(string instance) => NetworkNames.Tap(Path.GetFullPath(root), instance);

        /// <summary>The MAC address of an instance's NIC on a network.</summary>
        internal string MacOf(string instance) => NetworkNames.Mac(Path.GetFullPath(root), instance);
    }
}
