using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Networks
{
    /// <summary>
    /// A libvirt network as OsvPS reads it from its XML (https://libvirt.org/formatnetwork.html): the bridge, the first IPv4
    /// <c>&lt;ip&gt;</c> (the host's address on the bridge and the subnet), its DHCP ranges and hosts, and its DNS host records.
    /// </summary>
    internal sealed class LibvirtNetworkInfo
    {
        public LibvirtNetworkInfo(string name, string? bridge, string? forwardMode, Subnet? subnet, uint? gateway,
            IReadOnlyList<(uint Start, uint End)> dhcpRanges, IReadOnlyList<(string? Mac, string? Name, uint Address)> dhcpHosts,
            IReadOnlyList<(uint Address, IReadOnlyList<string> Names)> dnsHosts)
        {
            Name = name;
            Bridge = bridge;
            ForwardMode = forwardMode;
            Subnet = subnet;
            Gateway = gateway;
            DhcpRanges = dhcpRanges;
            DhcpHosts = dhcpHosts;
            DnsHosts = dnsHosts;
        }

        public string Name { get; }
        public string? Bridge { get; }
        /// <summary>The <c>&lt;forward mode&gt;</c> (nat, route, bridge...; <c>nat</c> when the element has no mode), or null for an isolated network.</summary>
        public string? ForwardMode { get; }
        /// <summary>The subnet of the first IPv4 <c>&lt;ip&gt;</c>, or null when it has none (a network of a host's bridge).</summary>
        public Subnet? Subnet { get; }
        /// <summary>The host's address on the bridge (the <c>&lt;ip address&gt;</c>): the guests' gateway and name server.</summary>
        public uint? Gateway { get; }
        public IReadOnlyList<(uint Start, uint End)> DhcpRanges { get; }
        public IReadOnlyList<(string? Mac, string? Name, uint Address)> DhcpHosts { get; }
        public IReadOnlyList<(uint Address, IReadOnlyList<string> Names)> DnsHosts { get; }

        public bool InDhcpRange(uint address) => DhcpRanges.Any(r => address >= r.Start && address <= r.End);
    }

    /// <summary>Writes the XML of a network New-OsvNetwork -Connection makes, reads any network's, and picks instances' addresses on it.</summary>
    internal static class LibvirtNetworkXml
    {
        private static readonly XNamespace Dnsmasq = "http://libvirt.org/schemas/network/dnsmasq/1.0";

        /// <summary>
        /// An isolated network (no <c>&lt;forward&gt;</c>: nothing leaves the host) on bridge <paramref name="bridge"/>, the host
        /// holding the subnet's first address, no DHCP, and a DNS server (libvirt's dnsmasq, on that address only) that answers
        /// the instances' names from its host records and asks no server beyond (dnsmasq's no-resolv), answering every other
        /// query itself (local=/#/: AAAA for a name with an IPv4 record empty, an unknown name NXDOMAIN): with no server to
        /// ask, dnsmasq would REFUSE them, and OSv's resolver waits a refusal out.
        /// </summary>
        public static XElement Build(string name, Subnet subnet, string bridge)
            => new XElement("network", new XAttribute(XNamespace.Xmlns + "dnsmasq", Dnsmasq),
                new XElement("name", name),
                new XElement("bridge", new XAttribute("name", bridge), new XAttribute("stp", "off"), new XAttribute("delay", "0")),
                new XElement("dns", new XAttribute("forwardPlainNames", "no")),
                new XElement("ip", new XAttribute("address", Subnet.Format(subnet.Gateway)), new XAttribute("netmask", subnet.MaskText)),
                new XElement(Dnsmasq + "options",
                    new XElement(Dnsmasq + "option", new XAttribute("value", "no-resolv")),
                    new XElement(Dnsmasq + "option", new XAttribute("value", "local=/#/"))));

        /// <summary>A DNS host record for virNetworkUpdate (section dns-host).</summary>
        public static string DnsHost(uint address, IEnumerable<string> names)
            => new XElement("host", new XAttribute("ip", Subnet.Format(address)), names.Select(n => new XElement("hostname", n))).ToString(SaveOptions.DisableFormatting);

        /// <summary>A DHCP host record for virNetworkUpdate (section ip-dhcp-host): dnsmasq then never leases the address to another MAC.</summary>
        public static string DhcpHost(string? mac, string? name, uint address)
            => new XElement("host", mac == null ? null : new XAttribute("mac", mac), name == null ? null : new XAttribute("name", name),
                new XAttribute("ip", Subnet.Format(address))).ToString(SaveOptions.DisableFormatting);

        /// <summary>Reads a network's XML (virNetworkGetXMLDesc). Addresses that are not IPv4 are passed over.</summary>
        public static LibvirtNetworkInfo Read(string xml)
        {
            var root = XElement.Parse(xml);
            var forward = root.Element("forward");
            var ip = root.Elements("ip").FirstOrDefault(i => (i.Attribute("family")?.Value ?? "ipv4") == "ipv4" && Address(i, "address") != null);
            Subnet? subnet = null;
            uint? gateway = null;
            var ranges = new List<(uint, uint)>();
            var dhcpHosts = new List<(string?, string?, uint)>();
            if (ip != null)
            {
                gateway = Address(ip, "address");
                int prefix = PrefixOf(ip);
                uint mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
                subnet = new Subnet(gateway!.Value & mask, prefix);
                var dhcp = ip.Element("dhcp");
                if (dhcp != null)
                {
                    ranges.AddRange(dhcp.Elements("range").Select(r => (Address(r, "start"), Address(r, "end"))).Where(r => r.Item1 != null && r.Item2 != null)
                        .Select(r => (r.Item1!.Value, r.Item2!.Value)));
                    dhcpHosts.AddRange(dhcp.Elements("host").Where(h => Address(h, "ip") != null)
                        .Select(h => (h.Attribute("mac")?.Value, h.Attribute("name")?.Value, Address(h, "ip")!.Value)));
                }
            }
            var dnsHosts = (root.Element("dns")?.Elements("host") ?? Enumerable.Empty<XElement>()).Where(h => Address(h, "ip") != null)
                .Select(h => (Address(h, "ip")!.Value, (IReadOnlyList<string>)h.Elements("hostname").Select(n => n.Value.Trim()).Where(n => n.Length > 0).ToList()))
                .ToList();
            return new LibvirtNetworkInfo(root.Element("name")?.Value ?? "", root.Element("bridge")?.Attribute("name")?.Value,
                forward == null ? null : forward.Attribute("mode")?.Value ?? "nat", subnet, gateway, ranges, dhcpHosts, dnsHosts);
        }

        private static uint? Address(XElement element, string attribute)
            => element.Attribute(attribute)?.Value is string text ? Subnet.ParseAddress(text) : null;

        // <ip prefix='24'> or <ip netmask='255.255.255.0'>; libvirt's default for IPv4 is the address's class, /24 here.
        private static int PrefixOf(XElement ip)
        {
            if (int.TryParse(ip.Attribute("prefix")?.Value, out int prefix) && prefix >= 0 && prefix <= 32)
            {
                return prefix;
            }
            if (Address(ip, "netmask") is uint mask)
            {
                int bits = 0;
                while (bits < 32 && (mask & (1u << (31 - bits))) != 0)
                {
                    bits++;
                }
                return bits;
            }
            return 24;
        }

        /// <summary>
        /// The address an instance gets on <paramref name="network"/>: the first of its subnet (after the network address, before
        /// the broadcast one) that is not the gateway, not in a DNS host record, not reserved by a DHCP host record, and outside its
        /// DHCP ranges; when every free one is inside a range, the first such, and <c>InDhcpRange</c> says a DHCP host record must
        /// reserve it. An address dnsmasq leased (<paramref name="leased"/>, virNetworkGetDHCPLeases) is not free either.
        /// NetworkFull when none is free; LibvirtNotSupported when the network has no IPv4 subnet.
        /// </summary>
        public static (uint Address, bool InDhcpRange) Allocate(LibvirtNetworkInfo network, string instance, IEnumerable<string>? leased = null)
        {
            if (network.Subnet is not Subnet subnet || network.Gateway is not uint gateway)
            {
                throw new OsvException(ErrorIds.LibvirtNotSupported, OsvErrorKind.InvalidOperation,
                    $"libvirt network '{network.Name}' has no IPv4 address of the host (<ip address=...>), so OsvPS cannot give the instance an address on it; use a network with one (New-OsvNetwork -Connection).", instance);
            }
            var taken = new HashSet<uint>(network.DnsHosts.Select(h => h.Address).Concat(network.DhcpHosts.Select(h => h.Address))
                .Concat((leased ?? Enumerable.Empty<string>()).Select(Subnet.ParseAddress).Where(a => a != null).Select(a => a!.Value))) { gateway };
            var free = new List<uint>();
            for (uint a = subnet.Network + 1; a < subnet.Broadcast; a++)
            {
                if (!taken.Contains(a))
                {
                    if (!network.InDhcpRange(a))
                    {
                        return (a, false);
                    }
                    free.Add(a);
                }
            }
            return free.Count > 0 ? (free[0], true)
                : throw new OsvException(ErrorIds.NetworkFull, OsvErrorKind.LimitsExceeded,
                    $"libvirt network '{network.Name}' ({subnet}) has no free address: its DNS and DHCP host records and DHCP leases hold them all. Stop an instance, or use a network with a wider subnet.", instance);
        }
    }
}
