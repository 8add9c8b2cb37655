using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    public class LibvirtEngineTests
    {
        [Theory]
        [InlineData("qemu:///system")]
        [InlineData("qemu:///session")]
        [InlineData("qemu+ssh://root@node1.example/system")]
        [InlineData("qemu+tls://node1:16514/system?pkipath=/etc/pki")]
        public void AcceptsLibvirtUris(string uri) => LibvirtEngine.ValidateUri(uri);

        [Theory]
        [InlineData("")]
        [InlineData("not a uri")]
        [InlineData("://system")]
        [InlineData("qemu:///system\n")]
        [InlineData("qemu;rm:///system")]
        [InlineData("/var/run/libvirt/libvirt-sock")]
        public void RefusesWhatIsNoLibvirtUri(string uri)
        {
            var e = Assert.Throws<OsvException>(() => LibvirtEngine.ValidateUri(uri));
            Assert.Equal("ConnectionInvalid", e.ErrorId);
        }

        [Theory]
        [InlineData("default", true)]
        [InlineData("osvps-test_1.pool", true)]
        [InlineData("", false)]
        [InlineData("../etc", false)]
        [InlineData(".hidden", false)]
        [InlineData("a b", false)]
        [InlineData("pööl", false)]
        public void ChecksPoolNames(string pool, bool valid)
        {
            if (valid)
            {
                LibvirtEngine.ValidatePool(pool);
                return;
            }
            var e = Assert.Throws<OsvException>(() => LibvirtEngine.ValidatePool(pool));
            Assert.Equal("StoragePoolInvalid", e.ErrorId);
        }
    }
}
