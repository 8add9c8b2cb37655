using System.IO;
using System.Threading;
using OsvPS.Core.Containers;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>An image's root in the cache: whole or absent, unpacked once per digest.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class ContainerRootCacheTests
    {
        [ToolFact("umoci")]
        public void UnpacksOnceRemovesAPartialRootAndReusesAWholeOne()
        {
            using var dir = new TempDir();
            string layout = TestImages.BuildBase(dir);
            string cache = dir.Combine("cache");
            using var image = ContainerImageReader.Open(ContainerSource.Parse("oci:" + layout + ":" + TestImages.Tag), new ContainerReadOptions(), CancellationToken.None);
            string hex = image.Digest.Substring("sha256:".Length);
            // What a killed run left: a partial root, never taken for the image.
            dir.File("cache/" + hex + ".partial/half.txt", "half");

            string root = ContainerRoot.Cached(image, cache, null, CancellationToken.None, out bool reused);
            Assert.False(reused);
            Assert.Equal(Path.Combine(cache, hex), root);
            Assert.Equal("base\n", File.ReadAllText(Path.Combine(root, "base.txt")));
            Assert.False(File.Exists(Path.Combine(root, "half.txt")));
            Assert.False(Directory.Exists(root + ".partial"));

            File.WriteAllText(Path.Combine(root, "marker"), "kept");
            string again = ContainerRoot.Cached(image, cache, null, CancellationToken.None, out reused);
            Assert.True(reused);
            Assert.Equal(root, again);
            Assert.True(File.Exists(Path.Combine(root, "marker")));
        }
    }
}
