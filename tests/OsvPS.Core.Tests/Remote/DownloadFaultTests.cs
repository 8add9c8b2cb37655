using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Remote
{
    /// <summary>A fact that needs root (to mount a small file system); elsewhere it is reported skipped, with why.</summary>
    public sealed class RootFactAttribute : FactAttribute
    {
        public RootFactAttribute()
        {
            if (Environment.UserName != "root")
            {
                Skip = "needs root to mount a 4 MiB tmpfs that fills up during the download";
            }
        }
    }

    /// <summary>Issue 26's release sites trusted too far: each fault ends in an OsvPS error, nothing half-saved.</summary>
    public sealed class DownloadFaultTests : IDisposable
    {
        private const string LoaderAsset = "osv-loader.qemu.x86_64";
        private readonly TempDir dir = new TempDir();
        private readonly FakeReleaseServer server = new FakeReleaseServer();
        private readonly CapstanRepository repo;
        private readonly byte[] loader = TestFiles.Loader();

        public DownloadFaultTests()
        {
            repo = new CapstanRepository(dir.Combine("capstan"));
            server.Assets[LoaderAsset] = loader;
            server.Releases.Add(("v0.57.0", new[] { LoaderAsset }));
        }

        public void Dispose()
        {
            server.Dispose();
            dir.Dispose();
        }

        private OsvException SaveFails(ReleaseSource source)
            => Assert.Throws<OsvException>(() => new RemoteCatalog(repo, source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));

        private string Target => repo.ImageFile("osv-loader", DiskFormat.Raw);

        // Nothing of the download is left: no image, no partial file, no note.
        private void AssertNothingSaved()
        {
            Assert.Null(repo.FindImageFile("osv-loader"));
            Assert.False(File.Exists(Downloader.PartialPath(Target)), "the partial download is removed");
            Assert.False(File.Exists(Downloader.PartialPath(Target) + ".source"));
        }

        private static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

        [Fact]
        public void AnAssetThatDoesNotMatchItsPublishedDigestIsDiscarded()
        {
            using var source = new ReleaseSource(server.Url);
            server.Digests[LoaderAsset] = "sha256:" + Sha256(new byte[] { 1, 2, 3 });
            var e = SaveFails(source);
            Assert.Equal(ErrorIds.DownloadCorrupt, e.ErrorId);
            Assert.Contains(Sha256(loader), e.Message);
            AssertNothingSaved();

            server.Digests[LoaderAsset] = "sha256:" + Sha256(loader).ToUpperInvariant();
            var image = new RemoteCatalog(repo, source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None);
            Assert.Equal(loader, File.ReadAllBytes(image.Path));
        }

        [Fact]
        public void ADigestThatIsNotSha256HexIsAMalformedRelease()
        {
            using var source = new ReleaseSource(server.Url);
            server.Digests[LoaderAsset] = "sha256:not-hex";
            Assert.Equal("ReleaseSourceInvalid", SaveFails(source).ErrorId);
            AssertNothingSaved();
        }

        [Fact]
        public void ReleaseJsonWithoutLengthOrEndIsCutAtTheCap()
        {
            using var source = new ReleaseSource(server.Url);
            server.EndlessJson = true;
            var e = Assert.Throws<OsvException>(() => source.GetReleases(CancellationToken.None));
            Assert.Equal("ReleaseSourceInvalid", e.ErrorId);
            Assert.Equal(OsvErrorKind.LimitsExceeded, e.Kind);
            Assert.Contains("8 MiB", e.Message);
        }

        [Fact]
        public void ReleaseJsonDeclaringMoreThanTheCapIsNotRead()
        {
            using var source = new ReleaseSource(server.Url);
            server.JsonLength = 3L << 30;
            var e = Assert.Throws<OsvException>(() => source.GetRelease("latest", CancellationToken.None));
            Assert.Equal("ReleaseSourceInvalid", e.ErrorId);
            Assert.Contains(3221225472.ToString(), e.Message);
        }

        [Fact]
        public void ReleaseJsonThatDripsEndsAtTheDeadline()
        {
            using var source = new ReleaseSource(server.Url) { JsonDeadline = TimeSpan.FromSeconds(1) };
            server.DripJson = TimeSpan.FromMilliseconds(100);
            var e = Assert.Throws<OsvException>(() => source.GetRelease("latest", CancellationToken.None));
            Assert.Equal("ReleaseSourceUnreachable", e.ErrorId);
            Assert.Equal(OsvErrorKind.OperationTimeout, e.Kind);
        }

        [Fact]
        public void AnAssetThatDripsEndsBelowTheMinimumRate()
        {
            using var source = new ReleaseSource(server.Url) { MinimumRate = 1000, RateWindow = TimeSpan.FromSeconds(1) };
            server.Drip = TimeSpan.FromMilliseconds(100); // each byte resets an idle timer; the rate does not
            var e = SaveFails(source);
            Assert.Equal("DownloadIncomplete", e.ErrorId);
            Assert.Contains("slower than 1000 bytes/s for 1 s", e.Message);
            Assert.Null(repo.FindImageFile("osv-loader"));
        }

        [Fact]
        public void ADeclaredSizeBeyondTheFreeSpaceIsRefusedBeforeAByteIsWritten()
        {
            using var source = new ReleaseSource(server.Url);
            server.LieAboutSize = 64L << 40; // 64 TiB
            var e = SaveFails(source);
            Assert.Equal(ErrorIds.DiskSpaceInsufficient, e.ErrorId);
            Assert.Contains("67108864.0 MiB", e.Message);
            AssertNothingSaved();
            Assert.DoesNotContain(server.Requests, r => r.StartsWith("/assets/", StringComparison.Ordinal));
        }

        [RootFact]
        public void ADiskThatFillsUpDuringTheDownloadLeavesNoPartialFile()
        {
            string root = dir.Combine("capstan");
            Directory.CreateDirectory(root);
            Assert.Equal(0, Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", root));
            try
            {
                var small = new CapstanRepository(root);
                server.Assets[LoaderAsset] = TestFiles.Loader(length: 3 << 20);
                // Enough room when the download starts; another writer takes it while the body is on its way.
                server.BeforeBody = _ => File.WriteAllBytes(Path.Combine(root, "filler"), new byte[2 << 20]);
                using var source = new ReleaseSource(server.Url);
                var e = Assert.Throws<OsvException>(() => new RemoteCatalog(small, source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
                Assert.Equal(ErrorIds.DiskSpaceInsufficient, e.ErrorId);
                Assert.Contains("filled up", e.Message);
                string target = small.ImageFile("osv-loader", DiskFormat.Raw);
                Assert.False(File.Exists(Downloader.PartialPath(target)));
                Assert.Null(small.FindImageFile("osv-loader"));
            }
            finally
            {
                Assert.Equal(0, Run("umount", root));
            }
        }

        private static int Run(string program, params string[] args)
        {
            using var p = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false })!;
            p.WaitForExit();
            return p.ExitCode;
        }

        [Theory]
        [InlineData("file:///etc/passwd")]
        [InlineData("ftp://127.0.0.1/releases")]
        [InlineData("not an address")]
        public void OnlyHttpSourcesAreOpened(string url)
        {
            var e = Assert.Throws<OsvException>(() => new ReleaseSource(url));
            Assert.Equal(ErrorIds.SourceSchemeNotSupported, e.ErrorId);
        }

        [Fact]
        public void RedirectsAreFollowedToHttpOnly()
        {
            using var source = new ReleaseSource(server.Url);
            server.Redirects["/releases/latest"] = server.Url + "/tags/v0.57.0";
            Assert.Equal("v0.57.0", source.GetRelease("latest", CancellationToken.None).Tag);

            server.Redirects["/assets/" + LoaderAsset] = "file:///etc/passwd";
            var e = SaveFails(source);
            Assert.Equal(ErrorIds.SourceSchemeNotSupported, e.ErrorId);
            Assert.Contains("redirected to 'file:///etc/passwd'", e.Message);
            AssertNothingSaved();

            server.Redirects["/releases/latest"] = "file:///etc/passwd";
            Assert.Equal(ErrorIds.SourceSchemeNotSupported, Assert.Throws<OsvException>(() => source.GetRelease("latest", CancellationToken.None)).ErrorId);
        }

        [Fact]
        public void AnAssetAddressThatIsNotHttpIsRefused()
        {
            using var source = new ReleaseSource(server.Url);
            server.AssetUrls[LoaderAsset] = "file:///etc/passwd";
            var e = SaveFails(source);
            Assert.Equal(ErrorIds.SourceSchemeNotSupported, e.ErrorId);
            AssertNothingSaved();
        }

        [Fact]
        public void ALinkedImageFolderInTheRepositoryGetsNoDownload()
        {
            string outside = dir.Combine("OUTSIDE");
            Directory.CreateDirectory(outside);
            Directory.CreateDirectory(repo.ImagesPath);
            File.CreateSymbolicLink(repo.ImageFolder("osv-loader"), outside);
            using var source = new ReleaseSource(server.Url);
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, SaveFails(source).ErrorId);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }
    }
}
