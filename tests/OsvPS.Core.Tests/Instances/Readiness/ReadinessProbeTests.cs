using System.Net;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances.Readiness;
using OsvPS.Core.Qemu;
using Xunit;

namespace OsvPS.Core.Tests.Instances.Readiness
{
    /// <summary>Probes as users write them: parsed once, refused with what to write, and mapped onto an instance's forwards.</summary>
    public sealed class ReadinessProbeTests
    {
        [Theory]
        [InlineData("tcp:8080", ReadinessProbeKind.Tcp, "tcp:8080")]
        [InlineData(" TCP:80 ", ReadinessProbeKind.Tcp, "tcp:80")]
        [InlineData("http://127.0.0.1:8080/health?full=1", ReadinessProbeKind.Http, "http://127.0.0.1:8080/health?full=1")]
        [InlineData("http://localhost:8080", ReadinessProbeKind.Http, "http://localhost:8080/")]
        [InlineData("http://[::1]:8080/x", ReadinessProbeKind.Http, "http://[::1]:8080/x")]
        [InlineData(@"console:^listening on \d+$", ReadinessProbeKind.Console, @"console:^listening on \d+$")]
        public void ValidProbesParseToTheirKindAndWriteBackTheirText(string text, ReadinessProbeKind kind, string written)
        {
            var probe = ReadinessProbe.Parse(text);
            Assert.Equal(kind, probe.Kind);
            Assert.Equal(written, probe.Text);
            Assert.Equal(written, probe.ToString());
        }

        [Fact]
        public void AnHttpProbeKeepsItsAddressPortAndPath()
        {
            var probe = (HttpProbe)ReadinessProbe.Parse("http://localhost:8080/a%20b?c=d#frag");
            Assert.Equal(IPAddress.Loopback, probe.Address);
            Assert.Equal(8080, probe.Port);
            Assert.Equal("/a%20b?c=d", probe.PathAndQuery);
        }

        [Theory]
        [InlineData("tcp:abc", "must be a number from 1 to 65535")]
        [InlineData("tcp:", "must be a number from 1 to 65535")]
        [InlineData("tcp:0", "must be a number from 1 to 65535")]
        [InlineData("tcp:65536", "must be a number from 1 to 65535")]
        [InlineData("tcp:+80", "must be a number from 1 to 65535")]
        [InlineData("http://127.0.0.1/", "write the port")]
        [InlineData("http://127.0.0.1", "write the port")]
        [InlineData("http://[::1]/", "write the port")]
        [InlineData("http://127.0.0.1:/", "must be a number from 1 to 65535")]
        [InlineData("file:///etc/passwd", "a file:// address is not a probe")]
        [InlineData("https://127.0.0.1:8443/", "https is not probed")]
        [InlineData("http://example.com:80/", "host names are not looked up")]
        [InlineData("http://::1:80/", "host names are not looked up")]
        [InlineData("http://10.1:80/", "host names are not looked up")]
        [InlineData("http://0.0.0.0:80/", "is no address to connect to")]
        [InlineData("http://user:pw@127.0.0.1:80/", "no user name or password")]
        [InlineData("http://127.0.0.1:80/a b", "no spaces or control characters")]
        [InlineData("console:", "needs a regular expression")]
        [InlineData("console:(unclosed", "its regular expression is not valid")]
        [InlineData("8080", "it is not a probe")]
        [InlineData("", "it is not a probe")]
        public void BadProbesAreRefusedWithWhatToWrite(string text, string why)
        {
            var e = Assert.Throws<OsvException>(() => ReadinessProbe.Parse(text));
            Assert.Equal(ErrorIds.ReadinessProbeInvalid, e.Id);
            Assert.Equal(OsvErrorKind.InvalidArgument, e.Kind);
            Assert.Contains(why, e.Message);
            Assert.Contains($"'{text.Trim()}' is not a readiness probe", e.Message);
            Assert.Contains("tcp:PORT", e.Message);
        }

        [Fact]
        public void TcpNamesTheGuestPortAndGoesThroughTheForwardOfIt()
        {
            var probe = ReadinessProbe.Parse("tcp:80");
            var target = new ProbeTarget("web", new[] { PortForward.Parse("9000:22"), PortForward.Parse("8080:80") }, null);
            var endpoint = probe.Reach(target)!;
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), endpoint.Endpoint);
            Assert.Equal(80, endpoint.Forward!.GuestPort);

            // A forward on every interface is asked on loopback; an address written is asked there.
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8081), probe.Reach(new ProbeTarget("web", new[] { PortForward.Parse("0.0.0.0:8081:80") }, null))!.Endpoint);
            Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8082), probe.Reach(new ProbeTarget("web", new[] { PortForward.Parse("127.0.0.2:8082:80") }, null))!.Endpoint);
            // A guest reached directly (later: networks) is asked at its own address, without a forward.
            var direct = probe.Reach(new ProbeTarget("web", new PortForward[0], null, guestAddress: IPAddress.Parse("192.168.122.15")))!;
            Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.122.15"), 80), direct.Endpoint);
            Assert.Null(direct.Forward);
        }

        [Fact]
        public void AProbeWithNoWayInIsRefusedBeforeAnythingStarts()
        {
            var none = Assert.Throws<OsvException>(() => ReadinessProbe.Parse("tcp:80").CheckForwards("web", new[] { PortForward.Parse("8080:8000"), PortForward.Parse("udp:5353:80") }));
            Assert.Equal(ErrorIds.ReadinessProbeUnreachable, none.Id);
            Assert.Contains("forwards no tcp port to guest port 80", none.Message);
            Assert.Contains("tcp:127.0.0.1:8080:8000, udp:127.0.0.1:5353:80", none.Message);
            Assert.Contains("-Forward HOSTPORT:80", none.Message);

            var elsewhere = Assert.Throws<OsvException>(() => ReadinessProbe.Parse("http://127.0.0.1:8080/").CheckForwards("web", new[] { PortForward.Parse("8081:80") }));
            Assert.Equal(ErrorIds.ReadinessProbeUnreachable, elsewhere.Id);
            Assert.Contains("no forward of instance 'web' listens on 127.0.0.1:8080", elsewhere.Message);

            var address = Assert.Throws<OsvException>(() => ReadinessProbe.Parse("http://127.0.0.1:8080/").CheckForwards("web", new[] { PortForward.Parse("127.0.0.2:8080:80") }));
            Assert.Contains("(its forwards: tcp:127.0.0.2:8080:80)", address.Message);

            // These have a way in: no error.
            ReadinessProbe.Parse("http://127.0.0.1:8080/").CheckForwards("web", new[] { PortForward.Parse("0.0.0.0:8080:80") });
            ReadinessProbe.Parse("http://localhost:8080/").CheckForwards("web", new[] { PortForward.Parse("8080:80") });
            ReadinessProbe.Parse("console:ready").CheckForwards("web", new PortForward[0]);
        }
    }
}
