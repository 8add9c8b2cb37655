using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Libvirt;
using OsvPS.Core.Models;

namespace OsvPS.Core.Networks
{
    /// <summary>
    /// The networks of a libvirt connection (New-, Get-, Remove-OsvNetwork -Connection, Start-OsvInstance -Connection -Network):
    /// the ones OsvPS makes are isolated, on a bridge of their own (<c>osvlv-NAME</c>), the host holding the subnet's first
    /// address, with no DHCP and a DNS server whose host records are the instances' names. An instance joins one with a static
    /// address on OSv's command line and a DNS host record, added live and to the config with virNetworkUpdate.
    /// </summary>
    public sealed class LibvirtNetworks : IDisposable
    {
        private readonly LibvirtConnection libvirt;
        private readonly bool owned;

        internal LibvirtNetworks(LibvirtConnection libvirt, bool owned = false)
        {
            this.libvirt = libvirt;
            this.owned = owned;
        }

        /// <summary>Opens <paramref name="uri"/> (checked as every connection is) for the networks of its host.</summary>
        public static LibvirtNetworks Open(string uri) => new LibvirtNetworks(LibvirtConnection.Open(uri), owned: true);

        public void Dispose()
        {
            if (owned)
            {
                libvirt.Dispose();
            }
        }

        public string Uri => libvirt.Uri;

        /// <summary>Every network of the connection (also the ones OsvPS did not make, such as <c>default</c>), sorted by name.</summary>
        public IReadOnlyList<OsvNetwork> List()
        {
            var result = new List<OsvNetwork>();
            foreach (string name in libvirt.NetworkNames().OrderBy(n => n, StringComparer.Ordinal))
            {
                using (var network = libvirt.FindNetwork(name))
                {
                    if (network != null)
                    {
                        result.Add(Describe(LibvirtNetworkXml.Read(network.Xml()), network.IsActive()));
                    }
                }
            }
            return result;
        }

        private OsvNetwork Describe(LibvirtNetworkInfo info, bool active)
        {
            var hosts = info.DnsHosts.SelectMany(h => h.Names.Select(n => (Name: n, h.Address))).ToList();
            return new OsvNetwork(Uri, info.Name, info.Subnet?.ToString() ?? "", info.Gateway is uint g ? Subnet.Format(g) : "", info.Subnet?.MaskText ?? "",
                info.Bridge ?? "", active, hosts.Select(h => h.Name), hosts.Select(h => Subnet.Format(h.Address)));
        }

        /// <summary>The network of that name, read; NetworkNotFound when the connection has none.</summary>
        internal LibvirtNetworkInfo Load(string name, string? target = null)
        {
            using (var network = Find(name, target))
            {
                return LibvirtNetworkXml.Read(network.Xml());
            }
        }

        private LibvirtNetwork Find(string name, string? target)
        {
            NetworkNames.Validate(name);
            return libvirt.FindNetwork(name) ?? throw new OsvException(ErrorIds.NetworkNotFound, OsvErrorKind.ObjectNotFound,
                $"{Uri} has no network '{name}'; create it with 'New-OsvNetwork {name} -Connection {Uri}' (Get-OsvNetwork -Connection {Uri} lists its networks).", target ?? name);
        }

        /// <summary>Checks a new network and says what it will be (-WhatIf reads it): its subnet (chosen when <paramref name="subnet"/> is null) and bridge.</summary>
        public (string Subnet, string Bridge) PlanCreate(string name, string? subnet)
        {
            var (chosen, bridge) = Check(name, subnet);
            return (chosen.ToString(), bridge);
        }

        private (Subnet Subnet, string Bridge) Check(string name, string? subnetText)
        {
            NetworkNames.Validate(name);
            var subnet = subnetText == null ? (Subnet?)null : Subnet.Parse(subnetText);
            var others = new List<LibvirtNetworkInfo>();
            foreach (string other in libvirt.NetworkNames())
            {
                if (other == name)
                {
                    throw new OsvException(ErrorIds.NetworkExists, OsvErrorKind.ResourceExists, $"{Uri} has a network '{name}' already (Get-OsvNetwork {name} -Connection {Uri}).", name);
                }
                using (var network = libvirt.FindNetwork(other))
                {
                    if (network != null)
                    {
                        others.Add(LibvirtNetworkXml.Read(network.Xml()));
                    }
                }
            }
            string bridge = NetworkNames.LibvirtBridge(name);
            if (others.FirstOrDefault(o => o.Bridge == bridge) is LibvirtNetworkInfo sameBridge)
            {
                throw new OsvException(ErrorIds.NetworkExists, OsvErrorKind.ResourceExists,
                    $"network '{sameBridge.Name}' of {Uri} already uses the bridge name {bridge} (names longer than 9 characters are shortened); choose another name.", name);
            }
            var taken = others.Where(o => o.Subnet != null).Select(o => (o.Name, Subnet: o.Subnet!.Value)).ToList();
            // On this machine's libvirtd the host's routes count too; a remote host's are not known here (libvirt refuses a clash when it starts the network).
            var routes = IsLocal(Uri) ? HostNetwork.Routes() : new List<Subnet>();
            if (subnet == null)
            {
                var free = Subnet.ChooseFree(routes.Concat(taken.Select(t => t.Subnet)).Concat(LocalNetworks.QemuUserNets));
                return (free ?? throw new OsvException(ErrorIds.NetworkSubnetInUse, OsvErrorKind.ResourceUnavailable,
                    $"no 10.X.Y.0/24 is free of the networks of {Uri}; give one with -Subnet.", name), bridge);
            }
            foreach (var other in taken.Where(o => o.Subnet.Overlaps(subnet.Value)))
            {
                throw new OsvException(ErrorIds.NetworkSubnetInUse, OsvErrorKind.ResourceExists,
                    $"{subnet} overlaps network '{other.Name}' of {Uri} ({other.Subnet}); choose another -Subnet.", subnetText);
            }
            foreach (var route in routes.Where(r => r.Overlaps(subnet.Value)))
            {
                throw new OsvException(ErrorIds.NetworkSubnetInUse, OsvErrorKind.ResourceExists,
                    $"{subnet} overlaps this host's route to {route}: the host could not tell the two apart; choose another -Subnet.", subnetText);
            }
            return (subnet.Value, bridge);
        }

        // qemu:///system, qemu+unix:///system?socket=...: no host after the scheme.
        private static bool IsLocal(string uri) => uri.IndexOf(":///", StringComparison.Ordinal) > 0;

        /// <summary>Defines, starts and marks autostart the network; a failure undefines what was defined.</summary>
        public OsvNetwork Create(string name, string? subnet)
        {
            var (chosen, bridge) = Check(name, subnet);
            string xml = LibvirtNetworkXml.Build(name, chosen, bridge).ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
            using (var network = libvirt.DefineNetwork(xml, name))
            {
                try
                {
                    network.Start();
                    network.SetAutostart();
                    return Describe(LibvirtNetworkXml.Read(network.Xml()), network.IsActive());
                }
                catch (OsvException)
                {
                    TryRemove(network);
                    throw;
                }
            }
        }

        private static void TryRemove(LibvirtNetwork network)
        {
            try
            {
                network.Destroy();
                network.Undefine();
            }
            catch (OsvException)
            {
                // The first failure is the one to report.
            }
        }

        /// <summary>Destroys (its bridge and dnsmasq go) and undefines the network. The caller stopped the instances on it (or refused).</summary>
        public void Remove(string name)
        {
            using (var network = Find(name, null))
            {
                network.Destroy();
                network.Undefine();
            }
        }

        /// <summary>
        /// Gives <paramref name="instance"/> (NIC <paramref name="mac"/>) an address on network <paramref name="name"/>, started when
        /// it is not running: a DNS host record (name to address) and, when the address is inside a DHCP range, a DHCP host record,
        /// added live and to the config. A name the network's records have already is refused (it may be another guest's). libvirt refuses
        /// a DNS record whose address another holds, so two starts at once cannot take one address: the loser picks again.
        /// </summary>
        internal NetworkLease Join(string name, string instance, string mac)
        {
            using (var network = Find(name, instance))
            {
                if (!network.IsActive())
                {
                    network.Start();
                }
                var target = new Target(network, true, network.IsPersistent());
                for (int attempt = 1; ; attempt++)
                {
                    var info = LibvirtNetworkXml.Read(network.Xml());
                    RefuseTakenName(info, instance);
                    // A network with DHCP ranges (libvirt's default) may have leased some of them to guests OsvPS did not start.
                    var leased = info.DhcpRanges.Count > 0 ? network.LeasedAddresses() : null;
                    var (address, inRange) = LibvirtNetworkXml.Allocate(info, instance, leased);
                    try
                    {
                        target.Update(true, LibvirtNative.NetworkSectionDnsHost, LibvirtNetworkXml.DnsHost(address, new[] { instance }));
                    }
                    catch (OsvException e) when (attempt < 5 && e.ErrorId == ErrorIds.LibvirtFailed)
                    {
                        continue; // another start took the address (or the name) meanwhile
                    }
                    if (inRange)
                    {
                        try
                        {
                            target.Update(true, LibvirtNative.NetworkSectionIpDhcpHost, LibvirtNetworkXml.DhcpHost(mac, instance, address));
                        }
                        catch (OsvException)
                        {
                            Drop(target, LibvirtNetworkXml.Read(network.Xml()), instance);
                            throw;
                        }
                    }
                    return new NetworkLease(name, info.Subnet!.Value, address, info.Bridge ?? "", info.Gateway!.Value);
                }
            }
        }

        // A DNS or DHCP host record of that name is another guest's, or one left behind (a domain undefined outside OsvPS): OsvPS
        // removes neither, since it cannot tell which; two records of one name would make the name answer either address.
        private void RefuseTakenName(LibvirtNetworkInfo info, string instance)
        {
            var dns = info.DnsHosts.Where(h => h.Names.Contains(instance)).Select(h => LibvirtNetworkXml.DnsHost(h.Address, h.Names)).ToList();
            var dhcp = info.DhcpHosts.Where(h => h.Name == instance).Select(h => LibvirtNetworkXml.DhcpHost(h.Mac, h.Name, h.Address)).ToList();
            if (dns.Count + dhcp.Count > 0)
            {
                string remove = string.Join("; ", dns.Select(x => $"virsh -c {Uri} net-update {info.Name} delete dns-host '{x}' --live --config")
                    .Concat(dhcp.Select(x => $"virsh -c {Uri} net-update {info.Name} delete ip-dhcp-host '{x}' --live --config")));
                throw new OsvException(ErrorIds.NetworkNameTaken, OsvErrorKind.ResourceExists,
                    $"libvirt network '{info.Name}' on {Uri} has a host record named '{instance}' already (another guest's, or one left behind); start the instance with another -Name, or remove the record: {remove}", instance);
            }
        }

        /// <summary>Removes the DNS and DHCP host records of <paramref name="instance"/> holding <paramref name="address"/> (nothing when the network or the records are gone).</summary>
        internal void Leave(string name, string instance, uint? address = null)
        {
            if (!NetworkNames.IsValid(name))
            {
                return;
            }
            using (var network = libvirt.FindNetwork(name))
            {
                if (network != null)
                {
                    Drop(new Target(network, network.IsActive(), network.IsPersistent()), LibvirtNetworkXml.Read(network.Xml()), instance, address);
                }
            }
        }

        // A network and where its changes go: the running network (live), its config (persistent), or both.
        private sealed class Target
        {
            private readonly LibvirtNetwork network;
            private readonly bool live;
            private readonly bool persistent;

            public Target(LibvirtNetwork network, bool live, bool persistent)
            {
                this.network = network;
                this.live = live;
                this.persistent = persistent;
            }

            public void Update(bool add, uint section, string xml) => network.Update(add, section, xml, live, persistent);
        }

        private static void Drop(Target network, LibvirtNetworkInfo info, string instance, uint? address = null)
        {
            foreach (var host in info.DnsHosts.Where(h => h.Names.Contains(instance) && (address == null || h.Address == address)))
            {
                network.Update(false, LibvirtNative.NetworkSectionDnsHost, LibvirtNetworkXml.DnsHost(host.Address, host.Names));
            }
            foreach (var host in info.DhcpHosts.Where(h => h.Name == instance && (address == null || h.Address == address)))
            {
                network.Update(false, LibvirtNative.NetworkSectionIpDhcpHost, LibvirtNetworkXml.DhcpHost(host.Mac, host.Name, host.Address));
            }
        }
    }
}
