using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using OsvPS.Core.Containers;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Tests.Oci;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>
    /// An image made by umoci (layers with a whiteout, an opaque folder, links, a FIFO and a device) is read from each
    /// source (the OCI layout itself, a docker-archive skopeo made of it, a registry serving its blobs) and unpacked
    /// into a root that holds exactly the image's files.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class ContainerImageTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        private static ContainerRootResult Unpack(ContainerSource source, string root, ContainerReadOptions? options = null)
        {
            using var image = ContainerImageReader.Open(source, options ?? new ContainerReadOptions(), CancellationToken.None);
            AssertConfig(image.Config);
            Assert.Equal(3, image.Layers.Count);
            return ContainerRoot.Unpack(image, root, null, null, CancellationToken.None);
        }

        private static void AssertConfig(ContainerConfig config)
        {
            Assert.Equal(new[] { "/bin/hello" }, config.Entrypoint);
            Assert.Equal(new[] { "world" }, config.Cmd);
            Assert.Contains("GREETING=hi", config.Env);
            Assert.Equal("/data", config.WorkingDir);
            Assert.Equal("1000:1000", config.User);
            Assert.Equal(new[] { "8080/tcp" }, config.ExposedPorts);
            Assert.Equal(new[] { "/data" }, config.Volumes);
            Assert.Equal("test", config.Labels["org.example.kind"]);
            Assert.Equal("SIGTERM", config.StopSignal);
            Assert.Equal("linux/amd64", config.Platform);
        }

        private static string Text(string root, string path) => File.ReadAllText(Path.Combine(root, path));

        private static int Mode(string root, string path) => (int)File.GetUnixFileMode(Path.Combine(root, path));

        // What every source must unpack to.
        private static void AssertStandardRoot(string root, ContainerRootResult result)
        {
            Assert.Equal("#!/bin/sh\necho hello\n", Text(root, "bin/hello"));
            Assert.Equal(0x1ED, Mode(root, "bin/hello"));
            var hello = UnixFile.Stat(Path.Combine(root, "bin/hello"), noFollow: true)!;
            var hello2 = UnixFile.Stat(Path.Combine(root, "bin/hello2"), noFollow: true)!;
            Assert.Equal(hello.Inode, hello2.Inode);
            Assert.False(File.Exists(Path.Combine(root, "etc/config")), "the whiteout of layer 2 removes etc/config");
            Assert.Equal("/etc/config", new FileInfo(Path.Combine(root, "etc/abs")).LinkTarget);
            Assert.Equal("config", new FileInfo(Path.Combine(root, "etc/rel")).LinkTarget);
            Assert.Equal("s3cret\n", Text(root, "etc/secret"));
            Assert.Equal(0x180, Mode(root, "etc/secret"));
            Assert.Equal(0x1C0, Mode(root, "private"));
            Assert.Equal(TestImages.Stamp, File.GetLastWriteTimeUtc(Path.Combine(root, "bin/hello")));
            Assert.Equal(TestImages.Stamp, Directory.GetLastWriteTimeUtc(Path.Combine(root, "private")));
            Assert.Equal("p\n", Text(root, "private/p.txt"));
            Assert.Equal("v2\n", Text(root, "data/keep.txt"));
            Assert.Equal("new\n", Text(root, "data/new.txt"));
            var random = new byte[300_000];
            new Random(7).NextBytes(random);
            Assert.Equal(random, File.ReadAllBytes(Path.Combine(root, "data/random.bin")));
            Assert.Equal(new[] { "c.txt" }, Directory.GetFileSystemEntries(Path.Combine(root, "data/old")).Select(Path.GetFileName));
            Assert.Equal("c\n", Text(root, "data/old/c.txt"));
            Assert.False(File.Exists(Path.Combine(root, "etc/fifo")) || UnixFile.Stat(Path.Combine(root, "etc/fifo"), noFollow: true) != null);
            Assert.Null(UnixFile.Stat(Path.Combine(root, "etc/null"), noFollow: true));
            Assert.Contains(result.Skipped, s => s.Path == "/etc/fifo" && s.Reason.Contains("FIFO"));
            if (Environment.UserName == "root")
            {
                Assert.Contains(result.Skipped, s => s.Path == "/etc/null" && s.Reason.Contains("character device"));
            }
            Assert.Equal(new[] { "bin", "data", "etc", "private" }, Directory.GetFileSystemEntries(root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(new[] { "abs", "rel", "secret" }, Directory.GetFileSystemEntries(Path.Combine(root, "etc")).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(1, result.HardLinks);
            Assert.Equal(2, result.SymbolicLinks);
            Assert.True(result.Whiteouts >= 2, "a whiteout and an opaque folder: " + result.Whiteouts);
            Assert.True(result.Bytes >= 300_000);
        }

        [ToolFact("umoci")]
        public void AnOciLayoutIsReadByTagAndUnpackedLayerByLayer()
        {
            string layout = TestImages.Build(dir);
            string root = dir.Combine("root");
            var source = ContainerSource.Parse("oci:" + layout + ":" + TestImages.Tag);
            using (var image = ContainerImageReader.Open(source, new ContainerReadOptions(), CancellationToken.None))
            {
                Assert.Equal(ImageTools.Manifest(layout).Digest, image.Digest);
                Assert.Equal(TestImages.Tag, image.Tag);
                Assert.All(image.Layers, l => Assert.StartsWith("application/vnd.oci.image.layer.v1.tar", l.MediaType));
            }
            AssertStandardRoot(root, Unpack(source, root));
            // Without a tag, the layout's only image.
            string again = dir.Combine("root-untagged");
            AssertStandardRoot(again, Unpack(ContainerSource.Parse("oci:" + layout), again));
        }

        [ToolFact("umoci")]
        public void ALayoutEntryThatIsAnIndexIsFollowedToItsLinuxAmd64Image()
        {
            string layout = TestImages.Build(dir);
            var (_, digest) = ImageTools.Manifest(layout);
            long size = new FileInfo(ImageTools.Blob(layout, digest)).Length;
            var nested = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = "application/vnd.oci.image.index.v1+json",
                ["manifests"] = new JsonArray(
                    new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = "sha256:" + new string('b', 64), ["size"] = 10, ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "s390x" } },
                    new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = digest, ["size"] = size, ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" } }),
            };
            byte[] nestedBytes = Encoding.UTF8.GetBytes(nested.ToJsonString());
            var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!.AsObject();
            index["manifests"]![0]!["mediaType"] = "application/vnd.oci.image.index.v1+json";
            index["manifests"]![0]!["digest"] = ImageTools.PutBlob(layout, nestedBytes);
            index["manifests"]![0]!["size"] = nestedBytes.Length;
            File.WriteAllText(Path.Combine(layout, "index.json"), index.ToJsonString());
            string root = dir.Combine("root");
            var result = Unpack(ContainerSource.Parse("oci:" + layout + ":" + TestImages.Tag), root);
            Assert.Equal(digest, result.Image);
            AssertStandardRoot(root, result);
        }

        [Fact]
        public void ADockerArchiveWithAGzipLayerAndALayerThatIsALinkToAnotherIsRead()
        {
            // As docker save writes it: <id>/layer.tar members, one a link to another image's copy of the same layer.
            string layerTar = dir.Combine("layer.tar");
            TestImages.WriteTar(layerTar, t => t.WriteEntry(TestImages.Member("app/run", "#!/bin/sh\n", 0x1ED)));
            byte[] plain = File.ReadAllBytes(layerTar);
            var packed = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(plain);
            string second = dir.Combine("second.tar");
            TestImages.WriteTar(second, t => t.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "app/run.wh-less") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("two")) }));
            byte[] secondBytes = File.ReadAllBytes(second);
            string diffs = $"\"{ImageTools.Sha256(plain)}\",\"{ImageTools.Sha256(secondBytes)}\"";
            byte[] config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/app/run\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffs + "]}}");
            string configName = ImageTools.Sha256(config).Substring(7) + ".json";
            string archive = dir.Combine("image.tar");
            TestImages.WriteTar(archive, t =>
            {
                t.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"[{{\"Config\":\"{configName}\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"aaa/layer.tar\",\"bbb/layer.tar\"]}}]")) });
                t.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, configName) { DataStream = new MemoryStream(config) });
                t.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "aaa/layer.tar") { DataStream = new MemoryStream(packed.ToArray()) });
                t.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "ccc/layer.tar") { DataStream = new MemoryStream(secondBytes) });
                t.WriteEntry(TestImages.Link(System.Formats.Tar.TarEntryType.SymbolicLink, "bbb/layer.tar", "../ccc/layer.tar"));
            });
            string root = dir.Combine("root");
            using var image = ContainerImageReader.Open(ContainerSource.Parse("docker-archive:" + archive), new ContainerReadOptions(), CancellationToken.None);
            Assert.Equal(ImageTools.Sha256(config), image.Digest);
            Assert.Equal(new[] { "/app/run" }, image.Config.Cmd);
            var result = ContainerRoot.Unpack(image, root, null, null, CancellationToken.None);
            Assert.Equal("#!/bin/sh\n", File.ReadAllText(Path.Combine(root, "app/run")));
            Assert.Equal(0x1ED, Mode(root, "app/run"));
            Assert.Equal("two", File.ReadAllText(Path.Combine(root, "app/run.wh-less")));
            Assert.Equal(2, result.Files);
        }

        [ToolFact("umoci")]
        public void AMissingTagNamesTheLayoutsTags()
        {
            string layout = TestImages.BuildBase(dir);
            var e = Assert.Throws<OsvException>(() => ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout + ":nope"), new ContainerReadOptions(), CancellationToken.None));
            Assert.Equal(ErrorIds.ContainerImageNotFound, e.ErrorId);
            Assert.Contains("its tags: 1.0", e.Message);
        }

        [ToolFact("umoci", "skopeo")]
        public void ADockerArchiveSkopeoWroteUnpacksToTheSameRoot()
        {
            string layout = TestImages.Build(dir);
            string archive = dir.Combine("image.tar");
            ImageTools.Run("skopeo", "copy", "oci:" + layout + ":" + TestImages.Tag, "docker-archive:" + archive + ":example/app:" + TestImages.Tag);
            string root = dir.Combine("root");
            var source = ContainerSource.Parse("docker-archive:" + archive);
            using (var image = ContainerImageReader.Open(source, new ContainerReadOptions(), CancellationToken.None))
            {
                Assert.Equal("docker.io/example/app:" + TestImages.Tag, image.Tag);
                Assert.All(image.Layers, l => Assert.StartsWith("sha256:", l.DiffId));
            }
            AssertStandardRoot(root, Unpack(source, root));
        }

        [ToolFact("umoci")]
        public void ARegistryImageBehindAnIndexIsPulledAndUnpackedAndItsDownloadsRemoved()
        {
            string layout = TestImages.Build(dir);
            using var registry = new FakeRegistry();
            foreach (string blob in Directory.GetFiles(Path.Combine(layout, "blobs", "sha256")))
            {
                registry.Blobs["sha256:" + Path.GetFileName(blob)] = File.ReadAllBytes(blob);
            }
            var (manifest, digest) = ImageTools.Manifest(layout);
            byte[] manifestBytes = registry.Blobs[digest];
            registry.Manifests[digest] = (manifestBytes, "application/vnd.oci.image.manifest.v1+json");
            // An index whose first entry is another platform's: the linux/amd64 one is taken.
            var index = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = "application/vnd.oci.image.index.v1+json",
                ["manifests"] = new JsonArray(
                    new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = "sha256:" + new string('a', 64), ["size"] = 10, ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "arm64" } },
                    new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = digest, ["size"] = manifestBytes.Length, ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" } }),
            };
            registry.Manifests["1.0"] = (Encoding.UTF8.GetBytes(index.ToJsonString()), "application/vnd.oci.image.index.v1+json");
            string cache = dir.Combine("cache");
            string root = dir.Combine("root");
            var source = ContainerSource.Parse($"{registry.Address}/team/app:1.0");
            Assert.Equal(ContainerSourceKind.Registry, source.Kind);
            var result = Unpack(source, root, new ContainerReadOptions { CacheFolder = cache });
            AssertStandardRoot(root, result);
            Assert.Equal(digest, result.Image);
            Assert.Empty(Directory.GetFiles(cache, "*", SearchOption.AllDirectories));
            foreach (var layer in manifest["layers"]!.AsArray())
            {
                Assert.Contains($"GET /v2/team/app/blobs/{layer!["digest"]}", registry.Requests);
            }
        }

        [ToolFact("umoci")]
        public void ARootThatIsNotEmptyIsRefusedAndLeftAsItWas()
        {
            string layout = TestImages.BuildBase(dir);
            string root = dir.Combine("root");
            Directory.CreateDirectory(root);
            File.WriteAllText(Path.Combine(root, "mine.txt"), "mine");
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout), new ContainerReadOptions(), CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => ContainerRoot.Unpack(image, root, null, null, CancellationToken.None));
            Assert.Equal(ErrorIds.ContainerRootExists, e.ErrorId);
            Assert.Equal(new[] { "mine.txt" }, Directory.GetFileSystemEntries(root).Select(Path.GetFileName));
        }
    }
}
