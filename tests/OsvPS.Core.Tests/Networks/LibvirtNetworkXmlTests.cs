using System.Linq;
using System.Xml.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Networks;
using Xunit;

namespace OsvPS.Core.Tests.Networks
{
    public class LibvirtNetworkXmlTests
    {
        // What libvirt 9.0 gives back for its 'default' network (virsh net-dumpxml default), with two DHCP host records and a DNS host record added.
        private const string DefaultNetwork = @"<network>
  <name>default</name>
  <uuid>7c3a9b1e-0000-4000-8000-000000000001</uuid>
  <forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:aa:bb:cc'/>
  <dns><host ip='192.168.122.2'><hostname>web</hostname><hostname>www</hostname></host></dns>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='52:54:00:00:00:03' name='db' ip='192.168.122.3'/>
      <host mac='52:54:00:00:00:05' ip='192.168.122.5'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00::1' prefix='64'/>
</network>";

        [Fact]
        public void BuildsAnIsolatedNetworkOnItsOwnBridgeWithTheGatewayNoDhcpAndANameServerThatAsksNoOneElse()
        {
            var xml = LibvirtNetworkXml.Build("lab", Subnet.Parse("10.201.3.0/24"), "osvlv-lab");
            Assert.Equal("lab", xml.Element("name")!.Value);
            Assert.Null(xml.Element("forward"));
            Assert.Equal("osvlv-lab", xml.Element("bridge")!.Attribute("name")!.Value);
            var ip = Assert.Single(xml.Elements("ip"));
            Assert.Equal("10.201.3.1", ip.Attribute("address")!.Value);
            Assert.Equal("255.255.255.0", ip.Attribute("netmask")!.Value);
            Assert.Null(ip.Element("dhcp"));
            Assert.NotNull(xml.Element("dns"));
            XNamespace dnsmasq = "http://libvirt.org/schemas/network/dnsmasq/1.0";
            Assert.Equal(new[] { "no-resolv", "local=/#/" }, xml.Element(dnsmasq + "options")!.Elements(dnsmasq + "option").Select(o => o.Attribute("value")!.Value));
        }

        [Fact]
        public void ReadsWhatItBuildsBack()
        {
            var info = LibvirtNetworkXml.Read(LibvirtNetworkXml.Build("lab", Subnet.Parse("172.20.0.0/16"), "osvlv-lab").ToString());
            Assert.Equal("lab", info.Name);
            Assert.Equal("osvlv-lab", info.Bridge);
            Assert.Null(info.ForwardMode);
            Assert.Equal("172.20.0.0/16", info.Subnet.ToString());
            Assert.Equal("172.20.0.1", Subnet.Format(info.Gateway!.Value));
            Assert.Empty(info.DhcpRanges);
            Assert.Empty(info.DhcpHosts);
            Assert.Empty(info.DnsHosts);
        }

        [Fact]
        public void ReadsANetworkOsvPSDidNotMake()
        {
            var info = LibvirtNetworkXml.Read(DefaultNetwork);
            Assert.Equal("default", info.Name);
            Assert.Equal("virbr0", info.Bridge);
            Assert.Equal("nat", info.ForwardMode);
            Assert.Equal("192.168.122.0/24", info.Subnet.ToString());
            Assert.Equal("192.168.122.1", Subnet.Format(info.Gateway!.Value));
            var range = Assert.Single(info.DhcpRanges);
            Assert.Equal(("192.168.122.2", "192.168.122.254"), (Subnet.Format(range.Start), Subnet.Format(range.End)));
            Assert.Equal(new (string?, string?, string)[] { ("52:54:00:00:00:03", "db", "192.168.122.3"), ("52:54:00:00:00:05", null, "192.168.122.5") },
                info.DhcpHosts.Select(h => (h.Mac, h.Name, Subnet.Format(h.Address))).ToArray());
            var host = Assert.Single(info.DnsHosts);
            Assert.Equal("192.168.122.2", Subnet.Format(host.Address));
            Assert.Equal(new[] { "web", "www" }, host.Names);
        }

        [Theory]
        [InlineData("<ip address='10.9.0.1' prefix='20'/>", "10.9.0.0/20")]
        [InlineData("<ip address='10.9.8.1' netmask='255.255.255.128'/>", "10.9.8.0/25")]
        [InlineData("<ip family='ipv4' address='10.9.8.65'/>", "10.9.8.0/24")]
        public void ReadsTheSubnetFromAPrefixOrANetmask(string ip, string subnet)
        {
            var info = LibvirtNetworkXml.Read($"<network><name>n</name>{ip}</network>");
            Assert.Equal(subnet, info.Subnet.ToString());
        }

        [Fact]
        public void ANetworkWithoutAnIPv4AddressHasNoSubnetAndGetsNoInstance()
        {
            var info = LibvirtNetworkXml.Read("<network><name>host-bridge</name><forward mode='bridge'/><bridge name='br0'/></network>");
            Assert.Null(info.Subnet);
            Assert.Equal("bridge", info.ForwardMode);
            var e = Assert.Throws<OsvException>(() => LibvirtNetworkXml.Allocate(info, "web"));
            Assert.Equal(ErrorIds.LibvirtNotSupported, e.ErrorId);
            Assert.Contains("host-bridge", e.Message);
        }

        [Fact]
        public void GivesTheFirstAddressThatIsNotTheGatewayNorHeldByADnsOrDhcpHostRecord()
        {
            var built = LibvirtNetworkXml.Build("lab", Subnet.Parse("10.201.3.0/24"), "osvlv-lab");
            var empty = LibvirtNetworkXml.Read(built.ToString());
            Assert.Equal(("10.201.3.2", false), Format(LibvirtNetworkXml.Allocate(empty, "web")));
            built.Element("dns")!.Add(XElement.Parse(LibvirtNetworkXml.DnsHost(Subnet.ParseAddress("10.201.3.2")!.Value, new[] { "web" })));
            built.Element("dns")!.Add(XElement.Parse(LibvirtNetworkXml.DnsHost(Subnet.ParseAddress("10.201.3.4")!.Value, new[] { "db" })));
            var twoHeld = LibvirtNetworkXml.Read(built.ToString());
            Assert.Equal(("10.201.3.3", false), Format(LibvirtNetworkXml.Allocate(twoHeld, "client")));
        }

        [Fact]
        public void OnANetworkWithADhcpRangePrefersAnAddressOutsideItElseTakesOneInsideThatNeedsAReservation()
        {
            string narrowRange = DefaultNetwork.Replace("end='192.168.122.254'", "end='192.168.122.100'");
            Assert.Equal(("192.168.122.101", false), Format(LibvirtNetworkXml.Allocate(LibvirtNetworkXml.Read(narrowRange), "web")));
            // The default range covers every address: .2 has a DNS record, .3 and .5 are reserved by DHCP host records.
            Assert.Equal(("192.168.122.4", true), Format(LibvirtNetworkXml.Allocate(LibvirtNetworkXml.Read(DefaultNetwork), "web")));
            // Addresses dnsmasq leased are passed over too.
            Assert.Equal(("192.168.122.7", true), Format(LibvirtNetworkXml.Allocate(LibvirtNetworkXml.Read(DefaultNetwork), "web", new[] { "192.168.122.4", "192.168.122.6", "not an address" })));
        }

        [Fact]
        public void AFullNetworkSaysSo()
        {
            var built = LibvirtNetworkXml.Build("tiny", Subnet.Parse("10.201.3.0/29"), "osvlv-tiny");
            for (uint a = 2; a <= 6; a++)
            {
                built.Element("dns")!.Add(XElement.Parse(LibvirtNetworkXml.DnsHost(Subnet.ParseAddress("10.201.3." + a)!.Value, new[] { "i" + a })));
            }
            var e = Assert.Throws<OsvException>(() => LibvirtNetworkXml.Allocate(LibvirtNetworkXml.Read(built.ToString()), "web"));
            Assert.Equal(ErrorIds.NetworkFull, e.ErrorId);
            Assert.Equal(OsvErrorKind.LimitsExceeded, e.Kind);
        }

        [Fact]
        public void WritesTheHostRecordsVirNetworkUpdateTakes()
        {
            uint address = Subnet.ParseAddress("10.201.3.7")!.Value;
            Assert.Equal("<host ip=\"10.201.3.7\"><hostname>web</hostname><hostname>www</hostname></host>", LibvirtNetworkXml.DnsHost(address, new[] { "web", "www" }));
            Assert.Equal("<host mac=\"52:54:00:01:02:03\" name=\"web\" ip=\"10.201.3.7\" />", LibvirtNetworkXml.DhcpHost("52:54:00:01:02:03", "web", address));
            Assert.Equal("<host ip=\"10.201.3.7\" />", LibvirtNetworkXml.DhcpHost(null, null, address));
        }

        [Theory]
        [InlineData("lab", "osvlv-lab")]
        [InlineData("osvps-test-ab12", "osvlv-osvp-")]
        public void ALibvirtNetworksBridgeFitsAnInterfaceName(string name, string start)
        {
            string bridge = NetworkNames.LibvirtBridge(name);
            Assert.StartsWith(start, bridge);
            Assert.True(bridge.Length <= 15);
            Assert.NotEqual(NetworkNames.Bridge(name), bridge);
        }

        private static (string, bool) Format((uint Address, bool InDhcpRange) picked) => (Subnet.Format(picked.Address), picked.InDhcpRange);
    }
}
