using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Qemu;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>Instance names, sockets, networks and volumes made to reach outside OsvPS's folders or into QEMU's options.</summary>
    public sealed class HostileInstanceInputTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        [Fact]
        public void InstanceNamesCannotLeadOutOfTheInstancesFolder()
        {
            var manager = new QemuEngine(new CapstanRepository(dir.Combine("capstan")));
            Assert.Equal("InstanceNameInvalid", Assert.Throws<OsvException>(() => manager.Get("../x", CancellationToken.None)).ErrorId);
            Assert.Equal("InstanceNameInvalid", Assert.Throws<OsvException>(() => manager.ReadConsole("../../etc", null, CancellationToken.None)).ErrorId);
        }

        [Fact]
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void TheSocketFolderMustBeThisUsersAlone()
        {
            string folder = dir.Combine("sockets");
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, (UnixFileMode)0x1FF); // 0777, as a umask of 000 leaves it
            HostProcess.PrivateFolder(folder);
            Assert.Equal((UnixFileMode)0x1C0, File.GetUnixFileMode(folder)); // made 0700
            string link = dir.Combine("link");
            Directory.CreateSymbolicLink(link, folder);
            Assert.Equal("InstanceFolderUnsafe", Assert.Throws<OsvException>(() => HostProcess.PrivateFolder(link)).ErrorId);
            if (HostProcess.UserId == 0)
            {
                // Another user's folder (root can make one here): refused, whatever its mode.
                string theirs = dir.Combine("theirs");
                Directory.CreateDirectory(theirs);
                var chown = TestFiles.Run("chown", "65534", theirs);
                Assert.True(chown.code == 0, chown.output);
                Assert.Equal("InstanceFolderUnsafe", Assert.Throws<OsvException>(() => HostProcess.PrivateFolder(theirs)).ErrorId);
            }
        }

        [Theory]
        [InlineData("br0,helper=/tmp/x")]
        [InlineData("br0 x")]
        [InlineData("averyveryverylongname")]
        public void NetworkNamesCannotCarryQemuOptions(string bridge)
        {
            var e = Assert.Throws<OsvException>(() => new MachineOptions { Network = NetworkMode.Bridge, Bridge = bridge }.Validate());
            Assert.Equal("InstanceSettingInvalid", e.ErrorId);
        }

        [Theory]
        [InlineData("/x.img:format=raw,file.driver=ssh")]
        [InlineData("/x.img:format=nonsense")]
        public void VolumeFormatsAreFromAList(string volume)
            => Assert.Equal("VolumeInvalid", Assert.Throws<OsvException>(() => VolumeSpec.Parse(volume)).ErrorId);
    }
}
