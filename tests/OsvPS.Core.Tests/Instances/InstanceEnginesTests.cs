using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Libvirt;
using OsvPS.Core.Repository;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>The engine registry and the engines' own options, checked before any connection is made.</summary>
    public class InstanceEnginesTests
    {
        [Theory]
        [InlineData("qemu:///system")]
        [InlineData("qemu:///session")]
        [InlineData("qemu+ssh://root@node1.example/system")]
        [InlineData("qemu+tls://node1:16514/system?pkipath=/etc/pki")]
        public void LibvirtUrisReachTheLibvirtEngine(string uri)
        {
            InstanceEngines.CheckCall(uri, new EngineOptions().Set("StoragePool", "mine"));
            var e = Assert.Throws<OsvException>(() => InstanceEngines.CheckCall(uri, new EngineOptions().Set("QemuPath", "/usr/bin/qemu-system-x86_64")));
            Assert.Equal(ErrorIds.LibvirtNotSupported, e.ErrorId);
            Assert.Equal("-QemuPath is not available with -Connection: the libvirt host chooses its own QEMU.", e.Message);
        }

        [Theory]
        [InlineData("not a uri")]
        [InlineData("://system")]
        [InlineData("qemu:///system\n")]
        [InlineData("qemu;rm:///system")]
        [InlineData("/var/run/libvirt/libvirt-sock")]
        public void RefusesWhatIsNoConnectionUri(string uri)
        {
            // A start call goes on to its items, each of which gets the error (as before the registry).
            InstanceEngines.CheckCall(uri, new EngineOptions().Set("QemuPath", "/usr/bin/qemu"));
            var e = Assert.Throws<OsvException>(() => InstanceEngines.Open(uri, new CapstanRepository("/nonexistent")));
            Assert.Equal(ErrorIds.ConnectionInvalid, e.ErrorId);
            Assert.Equal(OsvErrorKind.InvalidArgument, e.Kind);
        }

        [Theory]
        [InlineData("xen:///system")]
        [InlineData("vbox:///session")]
        public void ASchemeNoEngineServesIsRefusedNamingTheOnesThatAre(string uri)
        {
            var e = Assert.Throws<OsvException>(() => InstanceEngines.Open(uri, new CapstanRepository("/nonexistent")));
            Assert.Equal(ErrorIds.ConnectionNotSupported, e.ErrorId);
            Assert.Equal(OsvErrorKind.InvalidArgument, e.Kind);
            Assert.Contains("qemu://", e.Message);
            Assert.Equal(uri, e.Target);
        }

        [Fact]
        public void EachEngineRefusesTheOptionsItDoesNotUse()
        {
            var local = Assert.Throws<OsvException>(() => InstanceEngines.CheckCall(null, new EngineOptions().Set("StoragePool", "mine")));
            Assert.Equal(ErrorIds.EngineOptionNotSupported, local.ErrorId);
            Assert.Equal("-StoragePool is not available for instances on this machine (without -Connection): their engine takes -QemuPath.", local.Message);
            var remote = Assert.Throws<OsvException>(() => InstanceEngines.CheckCall("qemu:///system", new EngineOptions().Set("Bogus", "1")));
            Assert.Equal(ErrorIds.EngineOptionNotSupported, remote.ErrorId);
            Assert.Equal("-Bogus is not available for instances on qemu:///system: their engine takes -StoragePool.", remote.Message);
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
                LibvirtEngineOptions.ValidatePool(pool);
                return;
            }
            var e = Assert.Throws<OsvException>(() => LibvirtEngineOptions.ValidatePool(pool));
            Assert.Equal("StoragePoolInvalid", e.ErrorId);
        }
    }
}
