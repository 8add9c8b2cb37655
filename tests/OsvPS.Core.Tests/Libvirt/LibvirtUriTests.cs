using OsvPS.Core.Errors;
using OsvPS.Core.Libvirt;
using Xunit;

namespace OsvPS.Core.Tests.Libvirt
{
    /// <summary>Only the transports OsvPS documents reach libvirt; the ones that run a program here never do.</summary>
    public class LibvirtUriTests
    {
        [Theory]
        [InlineData("qemu:///system")]
        [InlineData("qemu:///session")]
        [InlineData("qemu+unix:///system?socket=/run/libvirt/libvirt-sock")]
        [InlineData("qemu+ssh://root@node1.example/system")]
        [InlineData("qemu+ssh://root@127.0.0.1:2222/system?keyfile=/tmp/k&no_verify=1&no_tty=1")]
        [InlineData("qemu+ssh://me@[fe80::1]:22/session")]
        [InlineData("qemu+tls://node1:16514/system?pkipath=/etc/pki")]
        public void AcceptsTheDocumentedTransports(string uri) => LibvirtUri.Check(uri);

        [Theory]
        [InlineData("qemu+ext:///system?command=/x/evil.sh", "qemu+ssh://")]
        [InlineData("qemu+ssh://host/system?command=/x/evil.sh", "'command'")]
        [InlineData("qemu+ssh://host/system?netcat=/x/evil.sh", "'netcat'")]
        [InlineData("qemu+ssh://host/system?name=qemu+ext:///system", "'name'")]
        [InlineData("qemu+tcp://host/system", "unencrypted")]
        [InlineData("qemu+libssh2://host/system", "QEMU driver")]
        [InlineData("xen:///system", "QEMU driver")]
        [InlineData("test:///default", "QEMU driver")]
        [InlineData("qemu+ssh+x://host/system", "QEMU driver")]
        [InlineData("qemu+ssh://-oProxyCommand=evil/system", "not a host name")]
        [InlineData("qemu+ssh://-l@host/system", "not a plain user name")]
        [InlineData("qemu+ssh://host:99999/system", "not a port")]
        [InlineData("qemu+ssh:///system", "needs a host")]
        [InlineData("qemu://host/system", "names no host")]
        [InlineData("qemu:///system?socket=/x", "for a local connection")]
        public void RefusesWhatWouldRunOrReachSomethingElse(string uri, string why)
        {
            var e = Assert.Throws<OsvException>(() => LibvirtUri.Check(uri));
            Assert.Equal(ErrorIds.ConnectionNotSupported, e.ErrorId);
            Assert.Contains(why, e.Message);
        }

        [Theory]
        [InlineData("")]
        [InlineData("not a uri")]
        [InlineData("qemu;rm:///system")]
        [InlineData("/var/run/libvirt/libvirt-sock")]
        public void RefusesWhatIsNoUri(string uri)
            => Assert.Equal("ConnectionInvalid", Assert.Throws<OsvException>(() => LibvirtUri.Check(uri)).ErrorId);

        [Fact]
        public void TheConnectionIsRefusedBeforeLibvirtIsCalled()
        {
            // Open checks first: the refusal comes even where libvirt.so.0 is missing (LibvirtNotInstalled otherwise).
            var e = Assert.Throws<OsvException>(() => LibvirtConnection.Open("qemu+ext:///system?command=/bin/true"));
            Assert.Equal(ErrorIds.ConnectionNotSupported, e.ErrorId);
        }
    }
}
