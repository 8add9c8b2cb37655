using System;
using System.IO;
using System.Linq;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Oci;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Oci
{
    /// <summary>
    /// What a pull writes stays in the repository, and a pull that cannot finish gives its space back: a folder of
    /// the repository that is a link out is refused, and a layer that unpacks to more than the disk can spare (a
    /// gzip bomb, on a small tmpfs made here) ends cleanly with nothing of it left.
    /// </summary>
    public sealed class PullContainmentTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly FakeRegistry registry = new FakeRegistry();

        public void Dispose()
        {
            registry.Dispose();
            dir.Dispose();
        }

        private string PushImage(long size, bool zeros)
        {
            string path = dir.Combine("source/repository/demo/demo.qemu");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var file = new FileStream(path, FileMode.Create))
            {
                if (zeros)
                {
                    file.SetLength(size);
                }
                else
                {
                    var bytes = new byte[size];
                    new Random(3).NextBytes(bytes);
                    file.Write(bytes, 0, bytes.Length);
                }
            }
            var image = new OsvImage("demo", path, DiskFormat.Raw, size, size, null, null, "1.0", "Debian-12", null, "runscript /run/default;", new[] { "default" });
            var reference = ImageReference.Parse($"{registry.Address}/team/demo:1.0");
            OciPublisher.Publish(OciPublisher.Plan(image, reference, withKernel: false), new RegistryOptions(), null, CancellationToken.None);
            return reference.ToString();
        }

        private static OsvImage Pull(string root, string reference, string name)
        {
            var puller = new OciPuller(new CapstanRepository(root));
            using (var client = new RegistryClient(ImageReference.Parse(reference), new RegistryOptions(), push: false))
            {
                return puller.Pull(client, puller.Plan(client, name, false, CancellationToken.None), null, CancellationToken.None);
            }
        }

        [Theory]
        [InlineData("repository/pulled")]
        [InlineData("cache/osvps/oci")]
        [InlineData("cache")]
        public void AFolderOfTheRepositoryThatIsALinkOutIsRefusedAndNothingIsWrittenOutside(string linked)
        {
            string reference = PushImage(1 << 20, zeros: false);
            string root = dir.Combine("capstan");
            string outside = dir.Combine("outside");
            Directory.CreateDirectory(outside);
            string link = Path.Combine(root, linked);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, outside);
            var e = Assert.Throws<OsvException>(() => Pull(root, reference, "pulled"));
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, e.ErrorId);
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories));
        }

        // The publisher's layer is a plain tar: it is swapped for its gzip, which weighs a few hundred KiB.
        private void GzipTheLayer()
        {
            var (body, type) = registry.Manifests["1.0"];
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(body)!;
            var layer = manifest["layers"]![0]!;
            byte[] tar = registry.Blobs[(string)layer["digest"]!];
            using var packed = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(tar, 0, tar.Length);
            }
            byte[] bomb = packed.ToArray();
            string digest = FakeRegistry.DigestOf(bomb);
            registry.Blobs[digest] = bomb;
            layer["digest"] = digest;
            layer["size"] = bomb.Length;
            layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip";
            registry.Manifests["1.0"] = (System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()), type);
        }

        [Theory]
        [InlineData(false, "was written")]
        [InlineData(true, "unpacks to more than")]
        public void ALayerBeyondTheDiskEndsCleanlyAndGivesTheSpaceBack(bool gzipBomb, string said)
        {
            Assert.True(Environment.UserName == "root", "mounting the small tmpfs needs root, as CI runs");
            string reference = PushImage(300L << 20, zeros: true);
            if (gzipBomb)
            {
                GzipTheLayer();
            }
            string root = dir.Combine("small");
            Directory.CreateDirectory(root);
            var (code, output) = TestFiles.Run("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", root);
            Assert.True(code == 0, output);
            try
            {
                long before = new DriveInfo(root).AvailableFreeSpace;
                var e = Assert.Throws<OsvException>(() => Pull(root, reference, "bomb"));
                Assert.Equal(ErrorIds.DiskSpaceInsufficient, e.ErrorId);
                Assert.True(e.Message.Contains(said), e.Message);
                var left = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => f.Substring(root.Length)).ToList();
                Assert.True(left.Count == 0, "left behind: " + string.Join(", ", left));
                // This process keeps no descriptor of what it wrote there (a leak would hold the space until a GC).
                var held = Directory.EnumerateFileSystemEntries("/proc/self/fd")
                    .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
                    .Where(target => target.StartsWith(root + "/", StringComparison.Ordinal)).ToList();
                Assert.True(held.Count == 0, "still open: " + string.Join(", ", held));
                // The space comes back once the last descriptor of the removed file is closed, another process's too:
                // waited on with a bound (seen once in CI: still full right after the throw, with no file left).
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (new DriveInfo(root).AvailableFreeSpace != before && DateTime.UtcNow < deadline)
                {
                    System.Threading.Thread.Sleep(50);
                }
                Assert.Equal(before, new DriveInfo(root).AvailableFreeSpace);
            }
            finally
            {
                TestFiles.Run("umount", "-l", root);
            }
        }
    }
}
