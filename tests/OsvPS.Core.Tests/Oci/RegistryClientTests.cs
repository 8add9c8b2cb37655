using System;
using System.IO;
using System.Linq;
using System.Text;
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
    /// <summary>The distribution-spec client against an in-memory registry that is strict where real ones are, and fails as they do.</summary>
    public sealed class RegistryClientTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly FakeRegistry registry = new FakeRegistry();
        private readonly byte[] disk;
        private readonly OsvImage image;

        public RegistryClientTests()
        {
            disk = new byte[3 * 1024 * 1024 + 12345];
            new Random(7).NextBytes(disk);
            string path = dir.File("repo/repository/demo/demo.qemu", disk);
            image = new OsvImage("demo", path, DiskFormat.Raw, disk.Length, disk.Length, null, null, "1.2", "Debian-12", null, "runscript /run/default;", new[] { "default", "other" });
        }

        public void Dispose()
        {
            registry.Dispose();
            dir.Dispose();
        }

        private ImageReference Reference(string tag = "1.0") => ImageReference.Parse($"{registry.Address}/team/demo:{tag}");

        private OsvRegistryImage Push(RegistryOptions? options = null, string tag = "1.0")
            => OciPublisher.Publish(OciPublisher.Plan(image, Reference(tag), withKernel: false), options ?? new RegistryOptions(), null, CancellationToken.None);

        private OsvImage Pull(string reference, RegistryOptions? options = null, string? name = null)
        {
            var repository = new CapstanRepository(dir.Combine("pulled"));
            var puller = new OciPuller(repository);
            using (var client = new RegistryClient(ImageReference.Parse(reference), options ?? new RegistryOptions(), push: false))
            {
                return puller.Pull(client, puller.Plan(client, name, false, CancellationToken.None), null, CancellationToken.None);
            }
        }

        [Fact]
        public void ChunkedUploadThatBreaksResumesWhereTheSessionIsAtTheLocationItGivesNow()
        {
            registry.CutPatchOnce = true;
            var pushed = Push(new RegistryOptions { ChunkSize = 1 << 20 });
            Assert.Equal(2, pushed.BlobsSent);
            var requests = registry.Requests.ToArray();
            Assert.Equal(2, requests.Count(r => r.StartsWith("POST ")));
            Assert.Contains(requests, r => r.StartsWith("GET /upload/"));
            // After the cut the next PATCH starts at the half the registry kept, not at the chunk's start.
            int cut = Array.FindIndex(requests, r => r.StartsWith("GET /upload/"));
            Assert.Matches(@"^PATCH /upload/\w+ 524288-", requests[cut + 1]);
            var layer = OciPublisher.Plan(image, Reference(), false).Layers[0];
            Assert.Equal(LayerBytes(layer), registry.Blobs[layer.Digest]);
        }

        private static byte[] LayerBytes(OciLayer layer)
        {
            using (var stream = layer.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                return copy.ToArray();
            }
        }

        [Fact]
        public void ASecondPushSendsNoBlobAndTheSameManifest()
        {
            var first = Push();
            int before = registry.Requests.Count;
            var second = Push();
            Assert.Equal(0, second.BlobsSent);
            Assert.Equal(2, second.BlobsSkipped);
            Assert.Equal(first.Digest, second.Digest);
            Assert.DoesNotContain(registry.Requests.Skip(before), r => r.StartsWith("POST ") || r.StartsWith("PATCH "));
        }

        [Fact]
        public void BearerTokenIsFetchedWithTheCredentialsForThePushScope()
        {
            registry.Bearer = ("alice", "pw");
            var pushed = Push(new RegistryOptions { Credential = new RegistryCredential("alice", "pw") });
            Assert.Equal(2, pushed.BlobsSent);
            string token = registry.TokenRequests.First();
            Assert.Contains("service=fake", token);
            Assert.Contains("scope=repository:team/demo:pull,push", token);
            Assert.Contains("auth=Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pw")), token);
            var e = Assert.Throws<OsvException>(() => Push(new RegistryOptions { Credential = new RegistryCredential("alice", "wrong") }));
            Assert.Equal(ErrorIds.RegistryUnauthorized, e.ErrorId);
        }

        [Fact]
        public void CredentialsAreNotSentToATokenServiceOverPlainHttpOffThisMachine()
        {
            registry.Bearer = ("alice", "pw");
            registry.Realm = "http://auth.invalid/token";
            var e = Assert.Throws<OsvException>(() => Push(new RegistryOptions { Credential = new RegistryCredential("alice", "pw") }));
            Assert.Equal(ErrorIds.RegistryHttpRefused, e.ErrorId);
            Assert.Empty(registry.TokenRequests);
        }

        [Fact]
        public void APullCutHalfWayResumesWithARangeAndGivesTheSameBytes()
        {
            Push();
            registry.CutBlobOnce = true;
            var pulled = Pull($"{registry.Address}/team/demo:1.0");
            Assert.Equal(disk, File.ReadAllBytes(pulled.Path));
            Assert.Contains(registry.Requests, r => r.StartsWith("GET /v2/team/demo/blobs/") && r.Contains("bytes="));
            Assert.Equal("1.2", pulled.Version);
            Assert.Equal("Debian-12", pulled.Platform);
            Assert.Empty(Directory.GetFiles(dir.Combine("pulled/cache/osvps/oci")));
        }

        [Fact]
        public void APartialDownloadLeftByAnEarlierPullIsResumedFromItsLength()
        {
            var plan = OciPublisher.Plan(image, Reference(), false);
            Push();
            string cache = dir.Combine("pulled/cache/osvps/oci");
            Directory.CreateDirectory(cache);
            File.WriteAllBytes(Path.Combine(cache, Digest.Hex(plan.Layers[0].Digest) + ".partial"), LayerBytes(plan.Layers[0]).Take(100000).ToArray());
            var pulled = Pull($"{registry.Address}/team/demo@{plan.ManifestDigest}", name: "again");
            Assert.Equal("again", pulled.Name);
            Assert.Equal(disk, File.ReadAllBytes(pulled.Path));
            Assert.Contains(registry.Requests, r => r.EndsWith("bytes=100000-"));
        }

        [Fact]
        public void AManifestThatIsNotTheDigestAskedForIsRefused()
        {
            var pushed = Push();
            string other = "sha256:" + new string('3', 64);
            registry.Manifests[other] = registry.Manifests[pushed.Digest!];
            var e = Assert.Throws<OsvException>(() => Pull($"{registry.Address}/team/demo@{other}"));
            Assert.Equal(ErrorIds.OciDigestMismatch, e.ErrorId);
            Assert.False(Directory.Exists(dir.Combine("pulled/repository/demo")));
        }

        [Fact]
        public void AManifestLargerThanTheCapIsNotRead()
        {
            registry.Manifests["big"] = (new byte[5 << 20], "application/vnd.oci.image.manifest.v1+json");
            var e = Assert.Throws<OsvException>(() => Pull($"{registry.Address}/team/demo:big"));
            Assert.Equal(ErrorIds.RegistryResponseTooLarge, e.ErrorId);
        }

        [Fact]
        public void AContainerImageThatOsvPSDidNotPublishIsNotAnOsvImage()
        {
            byte[] config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"maintainer\":\"x\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
            registry.Blobs[FakeRegistry.DigestOf(config)] = config;
            registry.Manifests["plain"] = (Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{FakeRegistry.DigestOf(config)}\",\"size\":{config.Length}}},\"layers\":[]}}"),
                "application/vnd.oci.image.manifest.v1+json");
            var e = Assert.Throws<OsvException>(() => Pull($"{registry.Address}/team/demo:plain"));
            Assert.Equal(ErrorIds.OciNotAnOsvImage, e.ErrorId);
        }

        [Fact]
        public void AnIndexIsFollowedToItsLinuxAmd64Image()
        {
            var pushed = Push();
            registry.Manifests["multi"] = (Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" +
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + new string('4', 64) + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}," +
                $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{pushed.Digest}\",\"size\":1,\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}}]}}"),
                "application/vnd.oci.image.index.v1+json");
            Assert.Equal(disk, File.ReadAllBytes(Pull($"{registry.Address}/team/demo:multi").Path));
        }

        // Credentials go only to the registry's own scheme, host and port: an upload Location or a next page on
        // another host (another port of this machine here) is followed without them.
        [Fact]
        public void AnUploadLocationOnAnotherHostGetsNoCredentials()
        {
            using var elsewhere = new FakeRegistry();
            registry.Bearer = ("alice", "pw");
            registry.UploadLocation = $"http://{elsewhere.Address}/upload/{{id}}";
            var e = Assert.Throws<OsvException>(() => Push(new RegistryOptions { Credential = new RegistryCredential("alice", "pw") }));
            Assert.StartsWith("Registry", e.ErrorId);
            Assert.Contains(elsewhere.Authorizations, a => a.Request.StartsWith("PATCH /upload/") || a.Request.StartsWith("PUT /upload/"));
            Assert.All(elsewhere.Authorizations, a => Assert.Equal("", a.Authorization));
            Assert.Contains(registry.Authorizations, a => a.Authorization == "Bearer t0ken");
        }

        // The other host asks for credentials itself (a 401 naming its own token service): it gets none, nor a token.
        [Fact]
        public void AChallengeFromAnotherHostIsNotAnsweredWithTheRegistrysCredentials()
        {
            using var elsewhere = new FakeRegistry { Bearer = ("alice", "pw") };
            registry.Bearer = ("alice", "pw");
            registry.UploadLocation = $"http://{elsewhere.Address}/upload/{{id}}";
            var e = Assert.Throws<OsvException>(() => Push(new RegistryOptions { Credential = new RegistryCredential("alice", "pw"), Attempts = 1 }));
            Assert.Contains("gives the registry's credentials to the registry alone", e.Message + e.InnerException?.Message);
            Assert.Empty(elsewhere.TokenRequests);
            Assert.All(elsewhere.Authorizations, a => Assert.Equal("", a.Authorization));
        }

        [Fact]
        public void ANextTagPageOnAnotherHostGetsNoCredentials()
        {
            using var elsewhere = new FakeRegistry { Tags = new() { "a", "b", "c", "d" } };
            registry.Bearer = ("alice", "pw");
            registry.Tags = new() { "a", "b", "c", "d" };
            registry.NextPagePrefix = "http://" + elsewhere.Address;
            using (var client = new RegistryClient(ImageReference.Parse($"{registry.Address}/team/demo"), new RegistryOptions { Credential = new RegistryCredential("alice", "pw") }, false))
            {
                Assert.Equal(new[] { "a", "b", "c", "d" }, RegistryTags.List(client, CancellationToken.None));
            }
            Assert.Contains(elsewhere.Authorizations, a => a.Request == "GET /v2/team/demo/tags/list");
            Assert.All(elsewhere.Authorizations, a => Assert.Equal("", a.Authorization));
        }

        [Theory]
        [InlineData("file:///etc/passwd")]
        [InlineData("ftp://127.0.0.1/x")]
        public void AnUploadLocationThatIsNotHttpIsACleanRegistryError(string location)
        {
            registry.UploadLocation = location;
            var e = Assert.Throws<OsvException>(() => Push());
            Assert.Equal(ErrorIds.RegistryError, e.ErrorId);
            Assert.Contains("not an http or https address", e.Message);
        }

        [Fact]
        public void AnUploadLocationOverPlainHttpOffThisMachineIsRefused()
        {
            registry.UploadLocation = "http://upload.invalid/upload/{id}";
            var e = Assert.Throws<OsvException>(() => Push());
            Assert.Equal(ErrorIds.RegistryHttpRefused, e.ErrorId);
        }

        [Fact]
        public void ATokenRealmThatIsNotHttpIsACleanRegistryErrorAndGetsNoCredentials()
        {
            registry.Bearer = ("alice", "pw");
            registry.Realm = "file:///etc/passwd";
            var e = Assert.Throws<OsvException>(() => Push(new RegistryOptions { Credential = new RegistryCredential("alice", "pw") }));
            Assert.Equal(ErrorIds.RegistryError, e.ErrorId);
            Assert.Contains("a token service (realm) that is not an http or https address", e.Message);
            Assert.Empty(registry.TokenRequests);
        }

        // A registry may not hold a call for ever: a layer that drips, or a PUT taken and never answered, ends the
        // call with its transfer's error once the transfer falls below its floor (short limits here, 60 s by default).
        private static OsvPS.Core.IO.TransferLimits ShortLimits() => new OsvPS.Core.IO.TransferLimits
        {
            IdleTimeout = TimeSpan.FromSeconds(5), MinimumRate = 1024, RateWindow = TimeSpan.FromSeconds(2), AnswerTimeout = TimeSpan.FromSeconds(2),
        };

        [Fact]
        public void ALayerThatDripsEndsBelowTheRateFloor()
        {
            Push();
            registry.DripBlobMs = 200;
            var e = Assert.Throws<OsvException>(() => Pull($"{registry.Address}/team/demo:1.0", new RegistryOptions { Limits = ShortLimits(), Attempts = 1 }));
            Assert.Equal(ErrorIds.OciDownloadFailed, e.ErrorId);
            Assert.Contains("slower than 1024 bytes/s for 2 s", e.Message + e.InnerException?.Message);
        }

        [Fact]
        public void AnUploadWhosePutIsNeverAnsweredEnds()
        {
            registry.SilentPut = true;
            var e = Assert.Throws<OsvException>(() => Push(new RegistryOptions { Limits = ShortLimits(), Attempts = 1, ChunkSize = 0 }));
            Assert.Equal(ErrorIds.OciUploadFailed, e.ErrorId);
            Assert.Contains("were sent and no answer came in 2 s", e.Message + e.InnerException?.Message);
        }

        [Fact]
        public void AnAuthFileThatIsAFifoIsRefusedWithoutWaiting()
        {
            string fifo = dir.Combine("auth.json");
            var (code, output) = TestFiles.Run("mkfifo", fifo);
            Assert.True(code == 0, output);
            var read = System.Threading.Tasks.Task.Run(() => RegistryCredential.FromAuthFile(fifo, registry.Address));
            Assert.True(((IAsyncResult)read).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "reading the FIFO did not return");
            var e = Assert.IsType<OsvException>(read.Exception!.InnerException);
            Assert.Equal(ErrorIds.RegistryCredentialsInvalid, e.ErrorId);
            Assert.Contains("a FIFO (named pipe)", e.Message);
        }

        [Theory]
        [InlineData("127.0.0.1:99999/team/demo")]
        [InlineData("127.0.0.1:0/team/demo")]
        [InlineData("localhost:65536/team/demo:1")]
        public void AReferenceWithAPortOutOfRangeIsOciReferenceInvalid(string text)
        {
            var e = Assert.Throws<OsvException>(() => ImageReference.Parse(text));
            Assert.Equal(ErrorIds.OciReferenceInvalid, e.ErrorId);
            Assert.Contains("is not a TCP port", e.Message);
        }

        [Fact]
        public void TagsAreReadPageAfterPageFollowingLink()
        {
            registry.Tags = new() { "a", "b", "c", "d", "e" };
            using (var client = new RegistryClient(ImageReference.Parse($"{registry.Address}/team/demo"), new RegistryOptions(), false))
            {
                Assert.Equal(new[] { "a", "b", "c", "d", "e" }, RegistryTags.List(client, CancellationToken.None));
            }
            Assert.Equal(3, registry.Requests.Count(r => r.StartsWith("GET /v2/team/demo/tags/list")));
        }

        [Fact]
        public void TheConfigCarriesOsvPSsMetadataAndTheLayerIsTheSameBytesEveryTime()
        {
            var a = OciPublisher.Plan(image, Reference(), false);
            var b = OciPublisher.Plan(image, Reference(), false);
            Assert.Equal(a.ManifestDigest, b.ManifestDigest);
            string config = Encoding.UTF8.GetString(a.Config);
            Assert.Contains("\"org.osvps.command-line\":\"runscript /run/default;\"", config);
            Assert.Contains("\"org.osvps.config-sets\":\"default,other\"", config);
            Assert.Contains("\"org.osvps.disk.path\":\"/disk/demo.img\"", config);
            Assert.Contains("\"org.osvps.boot-mode\":\"disk\"", config);
            Assert.Contains("\"org.osvps.disk.sha256\":\"" + FakeRegistry.DigestOf(disk) + "\"", config);
            Assert.Contains("\"diff_ids\":[\"" + a.Layers[0].Digest + "\"]", config);
        }

        [Fact]
        public void AConfigLabelThatIsNotUtf16TextIsAClearErrorNotARawException()
        {
            Push();
            var (body, type) = registry.Manifests["1.0"];
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(body)!;
            string configDigest = (string)manifest["config"]!["digest"]!;
            // A lone high surrogate, escaped as JSON allows it: valid JSON, not valid text.
            string config = Encoding.UTF8.GetString(registry.Blobs[configDigest]).Replace("\"org.osvps.config-sets\":\"", "\"org.osvps.config-sets\":\"\\ud800");
            Assert.Contains("\\ud800", config);
            byte[] bytes = Encoding.UTF8.GetBytes(config);
            string digest = FakeRegistry.DigestOf(bytes);
            registry.Blobs[digest] = bytes;
            manifest["config"]!["digest"] = digest;
            manifest["config"]!["size"] = bytes.Length;
            registry.Manifests["1.0"] = (Encoding.UTF8.GetBytes(manifest.ToJsonString()), type);
            using (var client = new RegistryClient(Reference(), new RegistryOptions(), push: false))
            {
                var e = Assert.Throws<OsvException>(() => RemoteManifest.Read(client, CancellationToken.None));
                Assert.Equal(ErrorIds.OciManifestNotSupported, e.ErrorId);
                Assert.Contains("its config cannot be read", e.Message);
            }
        }
    }
}
