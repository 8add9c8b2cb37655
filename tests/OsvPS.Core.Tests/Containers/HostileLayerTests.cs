using System;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using OsvPS.Core.Containers;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>
    /// Hostile layers on an image umoci made: each is refused with a clean per-image error, nothing is written or
    /// removed outside the root (a folder beside it holds a file that must come through untouched), and the root
    /// that was being unpacked is gone.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class HostileLayerTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly string outside;
        private readonly string root;

        public HostileLayerTests()
        {
            outside = dir.Combine("outside");
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Combine(outside, "secret"), "outside\n");
            root = dir.Combine("root");
        }

        public void Dispose() => dir.Dispose();

        private void AssertNothingOutside()
        {
            Assert.Equal(new[] { "secret" }, Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.Equal("outside\n", File.ReadAllText(Path.Combine(outside, "secret")));
            Assert.Empty(Directory.GetFileSystemEntries(dir.Path, "pwned*", SearchOption.AllDirectories));
        }

        private OsvException Refused(ErrorId expected, ContainerUnpackOptions? options, params Action<TarWriter>[] layers)
        {
            string layout = TestImages.BuildBase(dir);
            foreach (var layer in layers)
            {
                TestImages.AddRawLayer(dir, layout, layer);
            }
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, options, null, CancellationToken.None));
            Assert.True(expected == e.ErrorId, $"{e.ErrorId}: {e.Message}");
            Assert.False(Directory.Exists(root), "what was unpacked is removed");
            AssertNothingOutside();
            return e;
        }

        private OsvException Refused(params Action<TarWriter>[] layers) => Refused(ErrorIds.ContainerLayerInvalid, null, layers);

        [ToolFact("umoci")]
        public void ANameThatClimbsOutIsRefused()
        {
            var e = Refused(t => t.WriteEntry(TestImages.Member("../outside/pwned", "x")));
            Assert.Contains("climbs out", e.Message);
            Refused(t => t.WriteEntry(TestImages.Member("data/../../outside/pwned", "x")));
        }

        [ToolFact("umoci")]
        public void AnAbsoluteNameIsRefused()
        {
            var e = Refused(t => t.WriteEntry(TestImages.Member(outside + "/pwned", "x")));
            Assert.Contains("absolute", e.Message);
        }

        [ToolFact("umoci")]
        public void AFileUnderASymbolicLinkOutIsRefused()
        {
            Refused(t =>
            {
                t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "evil", outside));
                t.WriteEntry(TestImages.Member("evil/pwned", "x"));
            });
            Refused(t =>
            {
                t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "data/evil", "../../outside"));
                t.WriteEntry(TestImages.Member("data/evil/pwned", "x"));
            });
        }

        [ToolFact("umoci")]
        public void AFolderALaterLayerMadeALinkIsNotWrittenThrough()
        {
            // Layer 2 replaces the folder data with a link out; layer 3 writes under data.
            Refused(t => t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "data", outside)),
                    t => t.WriteEntry(TestImages.Member("data/pwned", "x")));
        }

        [ToolFact("umoci")]
        public void AHardLinkToAFileOutsideIsRefused()
        {
            Refused(t => t.WriteEntry(TestImages.Link(TarEntryType.HardLink, "h", "../outside/secret")));
            Refused(t => t.WriteEntry(TestImages.Link(TarEntryType.HardLink, "h", outside + "/secret")));
            var e = Refused(t =>
            {
                t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "evil", outside));
                t.WriteEntry(TestImages.Link(TarEntryType.HardLink, "h", "evil/secret"));
            });
            Assert.Contains("symbolic link", e.Message);
            var missing = Refused(t => t.WriteEntry(TestImages.Link(TarEntryType.HardLink, "h", "nowhere")));
            Assert.Contains("not a file of the image", missing.Message);
        }

        [ToolFact("umoci")]
        public void AWhiteoutOfDotDotOrThroughALinkIsRefusedAndRemovesNothingOutside()
        {
            var e = Refused(t => t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "data/.wh..")));
            Assert.Contains("whiteout", e.Message);
            Refused(t =>
            {
                t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "evil", outside));
                t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "evil/.wh.secret"));
            });
            Refused(t =>
            {
                t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "evil", outside));
                t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "evil/.wh..wh..opq"));
            });
        }

        [ToolFact("umoci")]
        public void AFileOverALinkReplacesTheLinkAndNeverWritesThroughIt()
        {
            string layout = TestImages.BuildBase(dir);
            TestImages.AddRawLayer(dir, layout, t => t.WriteEntry(TestImages.Link(TarEntryType.SymbolicLink, "base.txt", outside + "/secret")));
            TestImages.AddRawLayer(dir, layout, t => t.WriteEntry(TestImages.Member("base.txt", "mine\n")));
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            ContainerRoot.Unpack(image, root, null, null, CancellationToken.None);
            Assert.Null(new FileInfo(Path.Combine(root, "base.txt")).LinkTarget);
            Assert.Equal("mine\n", File.ReadAllText(Path.Combine(root, "base.txt")));
            AssertNothingOutside();
        }

        [ToolFact("umoci")]
        public void SetIdBitsAreDroppedAndTheRestOfTheModeKept()
        {
            string layout = TestImages.BuildBase(dir);
            TestImages.AddRawLayer(dir, layout, t =>
            {
                t.WriteEntry(TestImages.Member("bin/su", "x", 0xDED)); // 06755
                t.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tmp") { Mode = (UnixFileMode)0x3FF }); // 01777
            });
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            ContainerRoot.Unpack(image, root, null, null, CancellationToken.None);
            Assert.Equal(0x1ED, (int)File.GetUnixFileMode(Path.Combine(root, "bin/su")));
            Assert.Equal(0x3FF, (int)File.GetUnixFileMode(Path.Combine(root, "tmp")));
        }

        [ToolFact("umoci")]
        public void ARegistryLayerWhoseBytesAreNotItsDigestIsRefusedAndNotKept()
        {
            string layout = TestImages.BuildBase(dir);
            using var registry = new Oci.FakeRegistry();
            foreach (string blob in Directory.GetFiles(Path.Combine(layout, "blobs", "sha256")))
            {
                registry.Blobs["sha256:" + Path.GetFileName(blob)] = File.ReadAllBytes(blob);
            }
            var (manifest, digest) = ImageTools.Manifest(layout);
            registry.Manifests["1.0"] = (registry.Blobs[digest], "application/vnd.oci.image.manifest.v1+json");
            string layer = manifest["layers"]![0]!["digest"]!.GetValue<string>();
            var lie = (byte[])registry.Blobs[layer].Clone();
            lie[lie.Length / 2] ^= 0xFF;
            registry.Blobs[layer] = lie;
            string cache = dir.Combine("cache");
            using var image = ContainerImageReader.Open(ContainerSource.Parse($"{registry.Address}/team/app:1.0"), new ContainerReadOptions { CacheFolder = cache }, CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, null, null, CancellationToken.None));
            Assert.Equal(ErrorIds.OciDigestMismatch, e.ErrorId);
            Assert.False(Directory.Exists(root));
            Assert.Empty(Directory.GetFiles(cache, "*", SearchOption.AllDirectories));
            AssertNothingOutside();
        }

        [ToolFact("umoci")]
        public void AGzipBombStopsAtTheBoundAndLeavesNothing()
        {
            string layout = TestImages.BuildBase(dir);
            string blob = dir.Combine("bomb.tar.gz");
            string diffId = GzipOfZeros(blob, 1L << 30);
            Assert.True(new FileInfo(blob).Length < 16 << 20, "1 GiB of zeros packs into a few MiB: " + new FileInfo(blob).Length);
            ImageTools.AddLayer(layout, blob, "application/vnd.oci.image.layer.v1.tar+gzip", diffId);
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, new ContainerUnpackOptions { MaxBytes = 64L << 20 }, null, CancellationToken.None));
            Assert.Equal(ErrorIds.ContainerLayerInvalid, e.ErrorId);
            Assert.Equal(OsvErrorKind.LimitsExceeded, e.Kind);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "it stops at the bound, not at the end: " + clock.Elapsed);
            Assert.False(Directory.Exists(root));
            AssertNothingOutside();
        }

        [ToolFact("umoci")]
        public void ALayerWhoseDigestLiesIsRefusedAndItsFilesRemoved()
        {
            string layout = TestImages.BuildBase(dir);
            var (manifest, _) = ImageTools.Manifest(layout);
            string layer = ImageTools.Blob(layout, manifest["layers"]![0]!["digest"]!.GetValue<string>());
            // Another valid layer under the first one's name: it unpacks, and then its digest gives it away.
            string other = dir.Combine("other.tar");
            TestImages.WriteTar(other, t => t.WriteEntry(TestImages.Member("pwned", "x")));
            using (var input = File.OpenRead(other))
            using (var output = new GZipStream(File.Create(layer), CompressionLevel.Fastest))
            {
                input.CopyTo(output);
            }
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, null, null, CancellationToken.None));
            Assert.True(e.ErrorId == ErrorIds.OciDigestMismatch || e.ErrorId == ErrorIds.ContainerLayerInvalid, e.Message);
            Assert.False(Directory.Exists(root));
            AssertNothingOutside();
        }

        [ToolFact("umoci")]
        public void ABlobThatIsALinkIsNotFollowed()
        {
            string layout = TestImages.BuildBase(dir);
            var (manifest, _) = ImageTools.Manifest(layout);
            string layer = ImageTools.Blob(layout, manifest["layers"]![0]!["digest"]!.GetValue<string>());
            string elsewhere = dir.Combine("elsewhere.blob");
            File.Move(layer, elsewhere);
            File.CreateSymbolicLink(layer, elsewhere);
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, null, null, CancellationToken.None));
            Assert.Equal(ErrorIds.ContainerImageInvalid, e.ErrorId);
            Assert.False(Directory.Exists(root));
        }

        [Fact]
        public void ADockerArchiveWhoseLayerIsNotItsDiffIdIsRefused()
        {
            string layerTar = dir.Combine("layer.tar");
            TestImages.WriteTar(layerTar, t => t.WriteEntry(TestImages.Member("pwned", "x")));
            byte[] config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + new string('0', 64) + "\"]}}");
            string configName = ImageTools.Sha256(config).Substring(7) + ".json";
            string archive = dir.Combine("image.tar");
            TestImages.WriteTar(archive, t =>
            {
                t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"[{{\"Config\":\"{configName}\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"abc/layer.tar\"]}}]")) });
                t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, configName) { DataStream = new MemoryStream(config) });
                t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "abc/layer.tar") { DataStream = File.OpenRead(layerTar) });
            });
            using var image = ContainerImageReader.Open(ContainerSource.Parse("docker-archive:" + archive), new ContainerReadOptions(), CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, null, null, CancellationToken.None));
            Assert.Equal(ErrorIds.OciDigestMismatch, e.ErrorId);
            Assert.False(Directory.Exists(root));
            AssertNothingOutside();
        }

        // A gzip of a tar holding one file of `size` zero bytes; returns the tar's digest (its diff_id).
        private static string GzipOfZeros(string path, long size)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var file = File.Create(path))
            using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
            {
                void Write(byte[] bytes, int count)
                {
                    gzip.Write(bytes, 0, count);
                    hash.AppendData(bytes, 0, count);
                }
                var header = new MemoryStream();
                using (var tar = new TarWriter(header, TarEntryFormat.Pax, leaveOpen: true))
                {
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "zeros") { DataStream = new MemoryStream(new byte[0]) });
                }
                // A header that says `size`, written by hand: System.Formats.Tar would want the bytes as a stream.
                byte[] h = new byte[512];
                Encoding.ASCII.GetBytes("zeros").CopyTo(h, 0);
                Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
                Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
                Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
                Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
                Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
                h[156] = (byte)'0';
                Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(h, 257);
                for (int i = 148; i < 156; i++) h[i] = (byte)' ';
                long sum = h.Sum(b => (long)b);
                Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
                Write(h, 512);
                var zeros = new byte[1 << 20];
                for (long left = size; left > 0; left -= zeros.Length)
                {
                    Write(zeros, (int)Math.Min(zeros.Length, left));
                }
                Write(new byte[1024], 1024);
            }
            return "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        }
    }
}
