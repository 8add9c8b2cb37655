using System;
using System.IO;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Oci;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Oci
{
    public sealed class ImageReferenceTests
    {
        [Theory]
        [InlineData("registry.example:5000/team/demo:1.0", "registry.example:5000", "team/demo", "1.0", null)]
        [InlineData("docker://localhost:5000/demo", "localhost:5000", "demo", null, null)]
        [InlineData("localhost/demo:x", "localhost", "demo", "x", null)]
        [InlineData("demo", "docker.io", "library/demo", null, null)]
        [InlineData("mike/demo:v1", "docker.io", "mike/demo", "v1", null)]
        [InlineData("index.docker.io/mike/demo", "docker.io", "mike/demo", null, null)]
        [InlineData("127.0.0.1:5000/a/b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "127.0.0.1:5000", "a/b/c", null, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
        [InlineData("[::1]:5000/demo:1", "[::1]:5000", "demo", "1", null)]
        public void ReadsReferencesAsDockerAndSkopeoDo(string text, string registry, string repository, string? tag, string? digest)
        {
            var reference = ImageReference.Parse(text);
            Assert.Equal(registry, reference.Registry);
            Assert.Equal(repository, reference.Repository);
            Assert.Equal(tag, reference.Tag);
            Assert.Equal(digest, reference.Digest);
        }

        [Theory]
        [InlineData("registry.example/Team/demo")]
        [InlineData("registry.example/demo:-bad")]
        [InlineData("registry.example/demo@sha256:short")]
        [InlineData("registry.example/demo@md5:0123456789abcdef0123456789abcdef")]
        [InlineData("registry.example//demo")]
        [InlineData("")]
        public void RefusesWhatIsNotAReference(string text)
        {
            var e = Assert.Throws<OsvException>(() => ImageReference.Parse(text));
            Assert.Equal(ErrorIds.OciReferenceInvalid, e.ErrorId);
        }

        [Theory]
        [InlineData("127.0.0.1:5000/x", true)]
        [InlineData("127.1.2.3/x", true)]
        [InlineData("localhost:5000/x", true)]
        [InlineData("[::1]:5000/x", true)]
        [InlineData("registry.example:5000/x", false)]
        [InlineData("10.0.0.1:5000/x", false)]
        public void OnlyThisMachineIsLoopback(string text, bool loopback) => Assert.Equal(loopback, ImageReference.Parse(text).IsLoopback);

        [Fact]
        public void AuthFilesGiveTheEntryOfTheRegistryWhateverTheKeyLooksLike()
        {
            using var dir = new TempDir();
            string Auth(string pair) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));
            string file = dir.File("config.json", "{\"auths\":{\"https://reg.example:5000/v1/\":{\"auth\":\"" + Auth("u1:p:w") + "\"}," +
                "\"https://index.docker.io/v1/\":{\"auth\":\"" + Auth("hub:pw") + "\"},\"other\":{\"identitytoken\":\"x\"}},\"credsStore\":\"desktop\"}");
            var found = RegistryCredential.FromAuthFile(file, "reg.example:5000")!;
            Assert.Equal("u1", found.User);
            Assert.Equal("p:w", found.Password);
            Assert.Equal(file, found.Source);
            Assert.Equal("hub", RegistryCredential.FromAuthFile(file, "docker.io")!.User);
            Assert.Null(RegistryCredential.FromAuthFile(file, "reg.example"));
            Assert.Null(RegistryCredential.FromAuthFile(file, "other"));
            string bad = dir.File("bad.json", "{\"auths\":{\"reg\":{\"auth\":\"" + Auth("no-colon") + "\"}}}");
            Assert.Equal(ErrorIds.RegistryCredentialsInvalid, Assert.Throws<OsvException>(() => RegistryCredential.FromAuthFile(bad, "reg")).ErrorId);
            string huge = dir.File("huge.json", new string(' ', 2 << 20));
            Assert.Equal(ErrorIds.RegistryCredentialsInvalid, Assert.Throws<OsvException>(() => RegistryCredential.FromAuthFile(huge, "reg")).ErrorId);
        }

        [Fact]
        public void ChallengeParametersAreReadQuotedOrNot()
        {
            var p = RegistryAuth.Parameters("realm=\"https://auth.example/token\",service=registry.example, scope=\"repository:a/b:pull,push\",x=\"q\\\"d\"");
            Assert.Equal("https://auth.example/token", p["realm"]);
            Assert.Equal("registry.example", p["service"]);
            Assert.Equal("repository:a/b:pull,push", p["scope"]);
            Assert.Equal("q\"d", p["x"]);
        }

        [Fact]
        public void ALayerIsAUstarArchiveOfOneFileOwnedByQemuWhoseDigestsAreItsBytes()
        {
            using var dir = new TempDir();
            var content = new byte[1000];
            new Random(3).NextBytes(content);
            string file = dir.File("d.qcow2", content);
            using var layer = new LayerStream("disk", "d.qcow2", file);
            using var copy = new MemoryStream();
            layer.CopyTo(copy);
            byte[] tar = copy.ToArray();
            Assert.Equal(layer.Length, tar.Length);
            Assert.Equal(0, tar.Length % 512);
            var (layerDigest, fileDigest) = layer.Digests();
            Assert.Equal(FakeRegistry.DigestOf(tar), layerDigest);
            Assert.Equal(FakeRegistry.DigestOf(content), fileDigest);
            var entries = OsvPS.Core.Packaging.TarReader.ReadEntries(new MemoryStream(tar), "layer");
            Assert.Equal(new[] { "disk/", "disk/d.qcow2" }, entries.ConvertAll(e => e.Name));
            Assert.Equal("0000153\0", Encoding.ASCII.GetString(tar, 512 + 108, 8));
            Assert.Equal("0000440\0", Encoding.ASCII.GetString(tar, 512 + 100, 8));
            layer.Position = 1024 + 10;
            var some = new byte[5];
            Assert.Equal(5, layer.Read(some, 0, 5));
            Assert.Equal(content[10..15], some);
        }
    }
}
