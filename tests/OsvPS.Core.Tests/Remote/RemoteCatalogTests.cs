using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Remote
{
    public sealed class RemoteCatalogTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly FakeReleaseServer server = new FakeReleaseServer();
        private readonly CapstanRepository repo;
        private readonly byte[] loader = TestFiles.Loader();
        private readonly byte[] kernel = Encoding.ASCII.GetBytes("\u007fELF stand-in kernel bytes");

        public RemoteCatalogTests()
        {
            repo = new CapstanRepository(dir.Combine("capstan"));
            server.Assets["osv-loader.qemu.x86_64"] = loader;
            server.Assets["osv-loader-hidden.qemu.x86_64"] = TestFiles.Loader(16);
            server.Assets["osv-loader.elf.x86_64.gz"] = Gzip(kernel);
            var bootstrap = dir.Combine("bootstrap.mpm");
            TestFiles.Package(bootstrap, "name: osv.bootstrap\ntitle: b\nauthor: t\n", null, ("etc/hosts", "x"));
            server.Assets["osv.bootstrap.mpm.x86_64"] = File.ReadAllBytes(bootstrap);
            server.Assets["osv.bootstrap.yaml"] = Encoding.UTF8.GetBytes("name: osv.bootstrap\ntitle: b\nauthor: t\nversion: v0.57.0\n");
            server.Releases.Add(("v0.57.0", server.Assets.Keys.ToArray()));
            server.Releases.Add(("v0.56.0", new[] { "osv-loader.qemu.x86_64" }));
        }

        public void Dispose()
        {
            server.Dispose();
            dir.Dispose();
        }

        private static byte[] Gzip(byte[] data)
        {
            using var m = new MemoryStream();
            using (var g = new GZipStream(m, CompressionLevel.Fastest)) g.Write(data, 0, data.Length);
            return m.ToArray();
        }

        private RemoteCatalog Catalog(ReleaseSource source) => new RemoteCatalog(repo, source);

        [Fact]
        public void ListsReleasesLatestAndATag()
        {
            using var source = new ReleaseSource(server.Url);
            Assert.Equal(new[] { "v0.57.0", "v0.56.0" }, source.GetReleases(CancellationToken.None).Select(r => r.Tag));
            Assert.Equal("v0.57.0", source.GetRelease("latest", CancellationToken.None).Tag);
            var old = source.GetRelease("v0.56.0", CancellationToken.None);
            Assert.Equal("osv-loader.qemu.x86_64", Assert.Single(old.Assets).Name);
            var images = Catalog(source).FindImages(source.GetRelease(null, CancellationToken.None));
            Assert.Equal(new[] { "default", "hidden" }, images.Select(i => i.Variant).OrderBy(v => v));
            Assert.Equal("osv-loader.elf.x86_64.gz", images.Single(i => i.Variant == "default").KernelAsset);
            Assert.Equal("osv.bootstrap", Assert.Single(Catalog(source).FindPackages(source.GetRelease(null, CancellationToken.None))).Name);
        }

        [Fact]
        public void SavesTheLoaderWithItsKernelIndexAndHash()
        {
            using var source = new ReleaseSource(server.Url);
            long reported = 0;
            var image = Catalog(source).SaveImage("osv-loader", "latest", "default", false,
                new OsvPS.Core.CallbackProgress<DownloadProgress>(p => reported = Math.Max(reported, p.Received)), CancellationToken.None);
            Assert.Equal("v0.57.0", image.Version);
            Assert.Equal(DiskFormat.Raw, image.Format);
            Assert.Equal(loader, File.ReadAllBytes(image.Path));
            Assert.Equal(kernel, File.ReadAllBytes(Path.ChangeExtension(image.Path, ".elf"))); // unpacked
            Assert.Equal(Downloader.Sha256(image.Path), repo.ReadIndex("osv-loader").Sha256);
            Assert.Equal(Downloader.Sha256(Path.ChangeExtension(image.Path, ".elf")), repo.ReadIndex("osv-loader").KernelSha256);
            Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), image.Created); // the release's date, not the download's
            Assert.Equal(loader.Length, reported);
            Assert.Empty(Directory.GetFiles(repo.ImageFolder("osv-loader"), "*.partial"));
            // The same release again: nothing is downloaded.
            int before = server.Requests.Count;
            Catalog(source).SaveImage("osv-loader", "v0.57.0", "default", false, null, CancellationToken.None);
            Assert.Equal(before, server.Requests.Count);
        }

        [Fact]
        public void SavesAPackageAndItsYaml()
        {
            using var source = new ReleaseSource(server.Url);
            var package = Catalog(source).SavePackage("osv.bootstrap", null, false, null, CancellationToken.None);
            Assert.Equal("osv.bootstrap", package.Name);
            Assert.Equal("v0.57.0", package.Version);
            Assert.True(File.Exists(Path.Combine(repo.PackagesPath, "osv.bootstrap.mpm")));
            Assert.True(File.Exists(Path.Combine(repo.PackagesPath, "osv.bootstrap.yaml")));
            OsvPS.Core.Repository.LocalPackages.Verify(Path.Combine(repo.PackagesPath, "osv.bootstrap.mpm"));
            File.AppendAllText(Path.Combine(repo.PackagesPath, "osv.bootstrap.mpm"), "tampered");
            Assert.Equal("PackageCorrupt", Assert.Throws<OsvException>(() => OsvPS.Core.Repository.LocalPackages.Verify(Path.Combine(repo.PackagesPath, "osv.bootstrap.mpm"))).ErrorId);
        }

        [Fact]
        public void ResumesAfterACutConnection()
        {
            using var source = new ReleaseSource(server.Url);
            server.CutAfter = 300_000;
            var e = Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
            Assert.Equal("DownloadIncomplete", e.ErrorId);
            Assert.Null(repo.FindImageFile("osv-loader")); // nothing half-downloaded is used
            string partial = Downloader.PartialPath(repo.ImageFile("osv-loader", DiskFormat.Raw));
            Assert.True(new FileInfo(partial).Length >= 300_000);
            var image = Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None);
            Assert.Equal(loader, File.ReadAllBytes(image.Path));
            Assert.Contains(server.Requests, r => r.StartsWith("/assets/osv-loader.qemu.x86_64 Range: bytes=", StringComparison.Ordinal));
        }

        [Fact]
        public void AServerSendingMoreThanDeclaredIsCutOffAndNothingKept()
        {
            using var source = new ReleaseSource(server.Url);
            server.LieAboutSize = 1000; // the release says 1000 bytes; the server sends the whole loader
            var e = Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
            Assert.Equal("DownloadIncomplete", e.ErrorId);
            Assert.Contains("more", e.Message);
            Assert.False(File.Exists(Downloader.PartialPath(repo.ImageFile("osv-loader", DiskFormat.Raw))));
        }

        [Fact]
        public void ADownloadOfUnknownSizeIsRefused()
        {
            using var source = new ReleaseSource(server.Url);
            server.NoSize = true;
            var e = Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
            Assert.Equal("DownloadSizeUnknown", e.ErrorId);
            Assert.Null(repo.FindImageFile("osv-loader"));
        }

        [Fact]
        public void AStalledTransferEndsAfterTheIdleTimeoutAndCanResume()
        {
            using var source = new ReleaseSource(server.Url);
            var saved = Downloader.IdleTimeout;
            Downloader.IdleTimeout = TimeSpan.FromSeconds(1);
            try
            {
                server.StallAfter = 100_000;
                var e = Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
                Assert.Equal("DownloadIncomplete", e.ErrorId);
                Assert.Contains("no data", e.Message);
                server.StallAfter = null;
                Assert.Equal(loader, File.ReadAllBytes(Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None).Path));
            }
            finally
            {
                Downloader.IdleTimeout = saved;
            }
        }

        [Fact]
        public void AResumeOfAReplacedFileStartsOverInsteadOfSplicing()
        {
            using var source = new ReleaseSource(server.Url);
            server.ETags["osv-loader.qemu.x86_64"] = "\"first\"";
            server.CutAfter = 300_000;
            Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
            var replaced = TestFiles.Loader();
            for (int i = 65536; i < replaced.Length; i++) replaced[i] = (byte)(i * 13 + 1);
            server.Assets["osv-loader.qemu.x86_64"] = replaced;
            server.ETags["osv-loader.qemu.x86_64"] = "\"second\"";
            var image = Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None);
            Assert.Equal(replaced, File.ReadAllBytes(image.Path));
        }

        [Fact]
        public void AKernelGzipCutAtAFlushPointIsRefused()
        {
            using var source = new ReleaseSource(server.Url);
            var big = new byte[300_000];
            new Random(3).NextBytes(big);
            byte[] gz;
            using (var m = new MemoryStream())
            {
                using (var g = new GZipStream(m, CompressionLevel.Fastest, leaveOpen: true))
                {
                    g.Write(big, 0, 150_000);
                    g.Flush(); // a flush point: what comes before it decompresses on its own
                    long cut = m.Length;
                    g.Write(big, 150_000, 150_000);
                    g.Dispose();
                    gz = m.ToArray()[..(int)cut];
                }
            }
            server.Assets["osv-loader.elf.x86_64.gz"] = gz;
            var e = Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
            Assert.Equal("DownloadIncomplete", e.ErrorId);
            Assert.False(File.Exists(Path.ChangeExtension(repo.ImageFile("osv-loader", DiskFormat.Raw), ".elf")));
        }

        [Fact]
        public void SizeMismatchIsRefusedAndNothingIsKept()
        {
            using var source = new ReleaseSource(server.Url);
            server.LieAboutSize = 1234;
            var e = Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "default", false, null, CancellationToken.None));
            Assert.Equal("DownloadIncomplete", e.ErrorId);
            Assert.Null(repo.FindImageFile("osv-loader"));
        }

        [Fact]
        public void NotFoundRateLimitMalformedAndOffline()
        {
            using var source = new ReleaseSource(server.Url);
            Assert.Equal("ReleaseNotFound", Assert.Throws<OsvException>(() => source.GetRelease("v9.9.9", CancellationToken.None)).ErrorId);
            Assert.Equal("AssetNotFound", Assert.Throws<OsvException>(() => Catalog(source).SavePackage("nothing", null, false, null, CancellationToken.None)).ErrorId);
            Assert.Equal("AssetNotFound", Assert.Throws<OsvException>(() => Catalog(source).SaveImage("osv-loader", null, "microvm", false, null, CancellationToken.None)).ErrorId);
            server.RawJson = "{\"tag_name\": ";
            Assert.Equal("ReleaseSourceInvalid", Assert.Throws<OsvException>(() => source.GetRelease(null, CancellationToken.None)).ErrorId);
            server.RawJson = "{\"tag_name\": \"v1\", \"x\": " + new string('[', 100_000) + new string(']', 100_000) + "}";
            var deep = Assert.Throws<OsvException>(() => source.GetRelease(null, CancellationToken.None));
            Assert.Equal("ReleaseSourceInvalid", deep.ErrorId);
            Assert.Contains("depth", deep.Message);
            server.RawJson = "[{\"tag_name\": 5}]";
            Assert.Equal("ReleaseSourceInvalid", Assert.Throws<OsvException>(() => source.GetReleases(CancellationToken.None)).ErrorId);
            server.RawJson = null;
            server.RateLimited = true;
            var limited = Assert.Throws<OsvException>(() => source.GetRelease(null, CancellationToken.None));
            Assert.Equal("RateLimited", limited.ErrorId);
            Assert.Contains("2030-01-01 00:00:00 UTC", limited.Message);
            using var offline = new ReleaseSource("http://127.0.0.1:9/releases");
            Assert.Equal("ReleaseSourceUnreachable", Assert.Throws<OsvException>(() => offline.GetRelease(null, CancellationToken.None)).ErrorId);
            Assert.False(Directory.Exists(repo.ImagesPath) && Directory.GetFiles(repo.ImagesPath, "*", SearchOption.AllDirectories).Length > 0);
        }
    }
}
