using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Libvirt;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Libvirt
{
    /// <summary>
    /// libvirt's own client library against a daemon that takes the connection and never answers (a UNIX socket that
    /// accepts and stays silent, as a stopped libvirtd's does): the call ends with LibvirtTimeout at its deadline.
    /// </summary>
    [Collection("environment")]
    public sealed class LibvirtDeadlineTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        private static bool ClientInstalled() => File.Exists("/usr/lib/x86_64-linux-gnu/libvirt.so.0");

        [Fact]
        public void ASilentDaemonGivesLibvirtTimeoutNamingTheCallAndTheSeconds()
        {
            Assert.True(ClientInstalled(), "libvirt's client library is required (.ci/run installs libvirt-clients)");
            string path = dir.Combine("silent.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(4);
            Socket? accepted = null;
            var acceptor = new Thread(() => { try { accepted = listener.Accept(); } catch (SocketException) { } }) { IsBackground = true };
            acceptor.Start();
            try
            {
                var watch = Stopwatch.StartNew();
                var e = Assert.Throws<OsvException>(() => LibvirtConnection.Open($"qemu+unix:///system?socket={path}", TimeSpan.FromSeconds(2)));
                watch.Stop();
                Assert.Equal(ErrorIds.LibvirtTimeout, e.ErrorId);
                Assert.Equal(OsvErrorKind.OperationTimeout, e.Kind);
                Assert.Contains("did not answer within 2 s when asked to connect", e.Message);
                Assert.Contains("OSVPS_LIBVIRT_TIMEOUT", e.Message);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the call took {watch.Elapsed}");
                Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9), $"the call gave up before its deadline: {watch.Elapsed}");
                Assert.NotNull(accepted);
            }
            finally
            {
                accepted?.Dispose();
            }
        }

        [Fact]
        public void ADaemonThatIsNotThereFailsAtOnceAsAConnectionError()
        {
            Assert.True(ClientInstalled(), "libvirt's client library is required (.ci/run installs libvirt-clients)");
            var e = Assert.Throws<OsvException>(() => LibvirtConnection.Open($"qemu+unix:///system?socket={dir.Combine("absent.sock")}", TimeSpan.FromSeconds(20)));
            Assert.Equal(ErrorIds.LibvirtConnectFailed, e.ErrorId);
            Assert.Contains("absent.sock", e.Message);
        }

        [Theory]
        [InlineData(null, 60)]
        [InlineData("5", 5)]
        [InlineData("0.5", 60)]
        [InlineData("ten", 60)]
        [InlineData("99999", 60)]
        public void TheDeadlineComesFromOsvpsLibvirtTimeout(string? value, double seconds)
        {
            string? saved = Environment.GetEnvironmentVariable("OSVPS_LIBVIRT_TIMEOUT");
            try
            {
                Environment.SetEnvironmentVariable("OSVPS_LIBVIRT_TIMEOUT", value);
                Assert.Equal(TimeSpan.FromSeconds(seconds), LibvirtDeadline.Default);
            }
            finally
            {
                Environment.SetEnvironmentVariable("OSVPS_LIBVIRT_TIMEOUT", saved);
            }
        }
    }
}
