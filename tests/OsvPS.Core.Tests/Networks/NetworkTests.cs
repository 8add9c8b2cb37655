using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Networks;
using OsvPS.Core.Qemu;
using Xunit;

namespace OsvPS.Core.Tests.Networks
{
    public class SubnetTests
    {
        [Theory]
        [InlineData("10.201.0.0/24", "10.201.0.1", "255.255.255.0", 253)]
        [InlineData("192.168.50.0/29", "192.168.50.1", "255.255.255.248", 5)]
        [InlineData("172.20.0.0/16", "172.20.0.1", "255.255.0.0", 65533)]
        public void ParsesAPrivateSubnetWithItsGatewayMaskAndInstanceAddresses(string text, string gateway, string mask, int instances)
        {
            var subnet = Subnet.Parse(text);
            Assert.Equal(text, subnet.ToString());
            Assert.Equal(gateway, Subnet.Format(subnet.Gateway));
            Assert.Equal(mask, subnet.MaskText);
            var addresses = subnet.InstanceAddresses().ToList();
            Assert.Equal(instances, addresses.Count);
            Assert.Equal(subnet.Gateway + 1, addresses[0]);
            Assert.Equal(subnet.Broadcast - 1, addresses[addresses.Count - 1]);
        }

        [Theory]
        [InlineData("10.201.0.1/24")]      // host bits
        [InlineData("10.201.0.0")]         // no prefix
        [InlineData("10.201.0.0/8")]       // wider than /16
        [InlineData("10.201.0.0/30")]      // narrower than /29
        [InlineData("8.8.8.0/24")]         // not private
        [InlineData("172.32.0.0/24")]      // just outside 172.16/12
        [InlineData("10.201.0.0/24,x")]
        [InlineData("010.201.0.0/24")]     // a leading zero (octal to some readers)
        [InlineData("10.256.0.0/24")]
        [InlineData("10.201.0.0/2a")]
        public void RefusesWhatIsNotAPrivateNetworkAddressInCidr(string text)
        {
            var e = Assert.Throws<OsvException>(() => Subnet.Parse(text));
            Assert.Equal(ErrorIds.NetworkSubnetInvalid, e.ErrorId);
            Assert.Contains(text, e.Message);
        }

        [Fact]
        public void ChoosesTheFirstTenSlash24ThatOverlapsNoRouteNorNetwork()
        {
            Assert.Equal("10.200.0.0/24", Subnet.ChooseFree(new Subnet[0]).ToString());
            var taken = new[] { Subnet.Parse("10.200.0.0/24"), Subnet.Parse("10.200.1.0/24"), Subnet.Parse("10.200.2.0/23") };
            Assert.Equal("10.200.4.0/24", Subnet.ChooseFree(taken).ToString());
            // A wide route (a /8 over all of 10/8) leaves nothing.
            Assert.Null(Subnet.ChooseFree(new[] { new Subnet(10u << 24, 8) }));
            // A /16 route moves the choice past it.
            Assert.Equal("10.201.0.0/24", Subnet.ChooseFree(new[] { Subnet.Parse("10.200.0.0/16") }).ToString());
        }

        [Fact]
        public void OverlapsBothWays()
        {
            var wide = Subnet.Parse("10.0.0.0/16");
            var narrow = Subnet.Parse("10.0.2.0/24");
            Assert.True(wide.Overlaps(narrow));
            Assert.True(narrow.Overlaps(wide));
            Assert.False(narrow.Overlaps(Subnet.Parse("10.0.3.0/24")));
        }
    }

    public class NetworkNameTests
    {
        [Theory]
        [InlineData("lab")]
        [InlineData("a")]
        [InlineData("web-tier-2")]
        [InlineData("0net")]
        public void TakesLowerCaseLettersDigitsAndDashes(string name) => NetworkNames.Validate(name);

        [Theory]
        [InlineData("")]
        [InlineData("Lab")]
        [InlineData("-lab")]
        [InlineData("la b")]
        [InlineData("lab;rm")]
        [InlineData("lab/x")]
        [InlineData("user")]
        [InlineData("nat")]
        [InlineData("none")]
        [InlineData("bridge")]
        [InlineData("tap")]
        [InlineData("abcdefghijklmnopqrstuvwxyz0123456")] // 33
        public void RefusesOtherNamesAndTheModesOfNetwork(string name)
        {
            var e = Assert.Throws<OsvException>(() => NetworkNames.Validate(name));
            Assert.Equal(ErrorIds.NetworkNameInvalid, e.ErrorId);
        }

        [Fact]
        public void InterfaceNamesFitLinuxsFifteenCharacters()
        {
            Assert.Equal("osvbr-lab", NetworkNames.Bridge("lab"));
            Assert.Equal("osvbr-123456789", NetworkNames.Bridge("123456789"));
            string longer = NetworkNames.Bridge("production-east");
            Assert.Equal(15, longer.Length);
            Assert.StartsWith("osvbr-prod-", longer);
            Assert.NotEqual(longer, NetworkNames.Bridge("production-west"));
            string tap = NetworkNames.Tap("/root/.capstan", "web");
            Assert.Matches("^osvtap-[0-9a-f]{8}$", tap);
            Assert.NotEqual(tap, NetworkNames.Tap("/other/.capstan", "web"));
            Assert.NotEqual(tap, NetworkNames.Tap("/root/.capstan", "web2"));
            Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", NetworkNames.Mac("/root/.capstan", "web"));
            Assert.NotEqual(NetworkNames.Mac("/root/.capstan", "web"), NetworkNames.Mac("/root/.capstan", "db"));
        }

        [Fact]
        public void ABridgeHasAFixedLocallyAdministeredUnicastMac()
        {
            string mac = NetworkNames.BridgeMac("osvbr-lab");
            Assert.Matches("^02(:[0-9a-f]{2}){5}$", mac);
            Assert.Equal(mac, NetworkNames.BridgeMac("osvbr-lab"));
            Assert.NotEqual(mac, NetworkNames.BridgeMac("osvbr-back"));
        }
    }

    public class AddressAllocationTests
    {
        private static readonly Subnet Small = Subnet.Parse("192.168.50.0/29");

        private static uint A(string text) => Subnet.ParseAddress(text)!.Value;

        [Fact]
        public void GivesTheFirstFreeAddressAfterTheGateway()
        {
            var (leases, address) = LocalNetworks.Allocate("lab", Small, new (string, uint)[0], "web", _ => true);
            Assert.Equal(A("192.168.50.2"), address);
            var (more, next) = LocalNetworks.Allocate("lab", Small, leases, "db", _ => true);
            Assert.Equal(A("192.168.50.3"), next);
            Assert.Equal(new[] { "web", "db" }, more.Select(l => l.Instance));
        }

        [Fact]
        public void AnInstanceKeepsItsAddressAndAHoleIsFilledFirst()
        {
            var held = new[] { ("a", A("192.168.50.2")), ("c", A("192.168.50.4")) };
            Assert.Equal(A("192.168.50.4"), LocalNetworks.Allocate("lab", Small, held, "c", _ => true).Address);
            Assert.Equal(A("192.168.50.3"), LocalNetworks.Allocate("lab", Small, held, "b", _ => true).Address);
        }

        [Fact]
        public void AddressesOfInstancesThatNoLongerRunAreFreeAgain()
        {
            var held = new[] { ("old", A("192.168.50.2")), ("live", A("192.168.50.3")) };
            var (leases, address) = LocalNetworks.Allocate("lab", Small, held, "new", name => name == "live");
            Assert.Equal(A("192.168.50.2"), address);
            Assert.Equal(new[] { "live", "new" }, leases.Select(l => l.Instance).OrderBy(n => n, StringComparer.Ordinal));
            Assert.DoesNotContain(leases, l => l.Instance == "old");
        }

        [Fact]
        public void AFullNetworkIsAnError()
        {
            var held = Enumerable.Range(0, 5).Select(i => ("i" + i, Small.Gateway + 1 + (uint)i)).ToList();
            var e = Assert.Throws<OsvException>(() => LocalNetworks.Allocate("lab", Small, held, "sixth", _ => true));
            Assert.Equal(ErrorIds.NetworkFull, e.ErrorId);
            Assert.Contains("192.168.50.0/29", e.Message);
        }

        [Fact]
        public void TheLeasesFileIsTheHostsFileDnsmasqReads()
        {
            string folder = Path.Combine(Path.GetTempPath(), "osvps-net-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var state = new NetworkState(folder, "lab", Small, NetworkNames.Bridge("lab"), DateTime.UtcNow);
                state.Save();
                state.SaveLeases(new[] { ("web", A("192.168.50.3")), ("db", A("192.168.50.2")) });
                var lines = File.ReadAllLines(state.HostsPath).Where(l => !l.StartsWith("#", StringComparison.Ordinal)).ToArray();
                Assert.Equal(new[] { "192.168.50.2 db", "192.168.50.3 web" }, lines);
                var loaded = NetworkState.Load(folder)!;
                Assert.Equal("192.168.50.0/29", loaded.Subnet.ToString());
                Assert.Equal("osvbr-lab", loaded.Bridge);
                Assert.Equal(new[] { "db", "web" }, loaded.Leases().Select(l => l.Instance));
                File.WriteAllText(Path.Combine(folder, NetworkState.StateFile), "name=lab\nsubnet=8.8.8.0/24\nbridge=osvbr-lab\n");
                Assert.Equal(ErrorIds.NetworkStateInvalid, Assert.Throws<OsvException>(() => NetworkState.Load(folder)).ErrorId);
            }
            finally
            {
                Directory.Delete(folder, true);
            }
        }
        [Fact]
        public void AHandedOnNameResolvesToTheReplacementAloneWhileTheOldInstanceKeepsItsAddress()
        {
            string folder = Path.Combine(Path.GetTempPath(), "osvps-net-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var state = new NetworkState(folder, "lab", Small, NetworkNames.Bridge("lab"), DateTime.UtcNow);
                state.Save();
                state.SaveAliases(new[] { ("app", "app-2") });
                state.SaveLeases(new[] { ("app", A("192.168.50.2")), ("app-2", A("192.168.50.3")), ("db", A("192.168.50.4")) });
                // dnsmasq reads no '#' line: 'app' is the replacement's alone while the old one drains.
                var lines = File.ReadAllLines(state.HostsPath).Where(l => !l.StartsWith("# Written", StringComparison.Ordinal)).ToArray();
                Assert.Equal(new[] { "# held 192.168.50.2 app", "192.168.50.3 app-2 app", "192.168.50.4 db" }, lines);
                Assert.Equal(new[] { "app", "app-2", "db" }, state.Leases().Select(l => l.Instance));
                // Once the old one has left, its name stays with the replacement.
                state.SaveLeases(state.Leases().Where(l => l.Instance != "app"));
                Assert.Equal(new[] { "192.168.50.3 app-2 app", "192.168.50.4 db" }, File.ReadAllLines(state.HostsPath).Where(l => !l.StartsWith("#", StringComparison.Ordinal)));
            }
            finally
            {
                Directory.Delete(folder, true);
            }
        }
    }

    public class NetworkCommandLineTests
    {
        [Fact]
        public void TheGuestGetsAStaticAddressTheBridgeAsGatewayAndNameServer()
        {
            var subnet = Subnet.Parse("10.200.0.0/24");
            var lease = new NetworkLease("lab", subnet, subnet.Gateway + 1, "osvbr-lab");
            Assert.Equal("--ip=eth0,10.200.0.2,255.255.255.0 --defaultgw=10.200.0.1 --nameserver=10.200.0.1", lease.LoaderOptions(false));
            Assert.Equal("--ip=eth0,10.200.0.2,255.255.255.0 --ip=eth1,10.0.2.15,255.255.255.0 --defaultgw=10.200.0.1 --nameserver=10.200.0.1", lease.LoaderOptions(true));
            // A subnet over QEMU's 10.0.2.0/24 moves the forward NIC to another.
            var wide = Subnet.Parse("10.0.0.0/16");
            Assert.Equal("192.168.122.0/24", new NetworkLease("lab", wide, wide.Gateway + 1, "osvbr-lab").ForwardSubnet.ToString());
            Assert.Equal("--power-off-on-abort --verbose " + lease.LoaderOptions(false) + " /web",
                GuestCommandLines.For("/web", network: lease.LoaderOptions(false)));
        }

        [Theory]
        [InlineData("User", NetworkMode.User, null)]
        [InlineData("user", NetworkMode.User, null)]
        [InlineData("Nat", NetworkMode.User, null)]
        [InlineData("NONE", NetworkMode.None, null)]
        [InlineData("Bridge", NetworkMode.Bridge, null)]
        [InlineData("tap", NetworkMode.Tap, null)]
        [InlineData("lab", NetworkMode.Named, "lab")]
        [InlineData("Named", NetworkMode.Named, "Named")]
        public void NetworkIsAModeOrANetworksName(string text, NetworkMode mode, string? name)
        {
            var machine = new MachineOptions();
            machine.SetNetwork(text);
            Assert.Equal(mode, machine.Network);
            Assert.Equal(name, machine.NetworkName);
            if (name == "Named")
            {
                // Not a valid network name: refused before anything starts.
                Assert.Equal(ErrorIds.NetworkNameInvalid, Assert.Throws<OsvException>(() => machine.Validate()).ErrorId);
            }
        }

        [Fact]
        public void QemuGetsATapWithItsOwnMacAndForwardsOnASecondRestrictedNic()
        {
            var machine = new MachineOptions { Forwards = new[] { PortForward.Parse("18080:8000") } };
            machine.SetNetwork("lab");
            var s = new InstanceSettings
            {
                Name = "web", DiskPath = "/d", ConsolePath = "/c", MonitorPath = "/m", PidPath = "/p", Machine = machine,
                NetworkTap = "osvtap-0123abcd", NetworkMac = "52:54:00:01:23:ab", ForwardNetwork = "10.0.2.0/24", ForwardGuest = "10.0.2.15", Paused = true,
            };
            var a = QemuArguments.Build(s).ToList();
            int first = a.IndexOf("-netdev");
            Assert.Equal("tap,id=un0,ifname=osvtap-0123abcd,script=no,downscript=no", a[first + 1]);
            Assert.Equal("virtio-net-pci,netdev=un0,mac=52:54:00:01:23:ab", a[first + 3]);
            Assert.Equal("user,id=fw0,net=10.0.2.0/24,restrict=on,hostfwd=tcp:127.0.0.1:18080-10.0.2.15:8000", a[first + 5]);
            Assert.Equal("virtio-net-pci,netdev=fw0", a[first + 7]);
            Assert.Contains("-S", a);
            machine.Forwards = new PortForward[0];
            var plain = QemuArguments.Build(s).ToList();
            Assert.Single(plain, x => x == "-netdev");
            Assert.DoesNotContain(plain, x => x.StartsWith("user,", StringComparison.Ordinal));
        }
    }

    public class LibvirtNetworkTests
    {
        [Fact]
        public void ALibvirtInstanceOnANetworkCannotHaveForwards()
        {
            var machine = new MachineOptions();
            machine.SetNetwork("lab");
            OsvPS.Core.Instances.Libvirt.LibvirtEngine.RefuseForwardsOnNetwork(machine, "web");
            machine.Forwards = new[] { PortForward.Parse("8080:80") };
            var e = Assert.Throws<OsvException>(() => OsvPS.Core.Instances.Libvirt.LibvirtEngine.RefuseForwardsOnNetwork(machine, "web"));
            Assert.Equal(ErrorIds.LibvirtNotSupported, e.ErrorId);
            Assert.Contains("-Network lab", e.Message);
            Assert.Contains("passt", e.Message);
            machine.SetNetwork("User");
            OsvPS.Core.Instances.Libvirt.LibvirtEngine.RefuseForwardsOnNetwork(machine, "web");
        }
    }

    public class GuestAddressTests
    {
        [Fact]
        public void TheAddressesAreOsvsLinesBeforeTheCommandLineOnly()
        {
            string path = Path.GetTempFileName();
            try
            {
                File.WriteAllText(path, "OSv v0.57.0\neth0: 192.168.122.15\neth1: 10.0.2.15\nBooted up in 0.00 ms\nCmdline: /x\neth0: 6.6.6.6\n");
                Assert.Equal(new[] { "192.168.122.15", "10.0.2.15" }, GuestAddresses.FromConsole(path));
                File.WriteAllText(path, "OSv v0.57.0\neth0: 999.1.1.1\nCmdline: /x\n");
                Assert.Empty(GuestAddresses.FromConsole(path));
                Assert.Empty(GuestAddresses.FromConsole(path + ".missing"));
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
