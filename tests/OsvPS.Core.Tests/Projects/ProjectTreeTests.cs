using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using OsvPS.Core.Building;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Projects
{
    /// <summary>An image build and a package read a project the one way: the same entries, the same refusals.</summary>
    public sealed class ProjectTreeTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly string project;

        public ProjectTreeTests()
        {
            project = dir.Combine("proj");
            ProjectStore.Create(new ProjectSpec { Path = project, BootCommand = "/hello", Name = "proj", Title = "proj", Author = "test" });
        }

        public void Dispose() => dir.Dispose();

        private CapstanRepository Repository => new CapstanRepository(dir.Combine("capstan"));

        private Models.OsvPackage Package(bool keepExternal = false) => PackageBuilder.Build(Repository, ProjectStore.Load(project), keepExternal);

        private ComposedTree Compose() => new ImageComposer(Repository).Compose(ProjectStore.Load(project), new ComposeOptions { NoBootstrap = true });

        // The package's entries, name -> link target ("" for files and folders).
        private Dictionary<string, string> PackedEntries()
        {
            using var file = File.OpenRead(Repository.PackageFile("proj", ".mpm"));
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            var tar = new MemoryStream();
            gzip.CopyTo(tar);
            tar.Position = 0;
            return TarReader.ReadEntries(tar, "proj.mpm").ToDictionary(e => e.Name.TrimEnd('/'), e => e.LinkTarget ?? "");
        }

        private void MakeBadName()
        {
            // Create "bad\xff" through the shell: .NET cannot write such a name itself.
            var made = TestFiles.Run("sh", "-c", $"printf x > '{project}/lib/bad'$(printf '\\377')");
            Assert.True(made.code == 0, made.output);
        }

        // Before: Export-OsvPackage packed a name that is not UTF-8 (and OSv's file system then held a broken name);
        // only Build-OsvImage refused it.
        [Fact]
        public void APackageRefusesANameThatIsNotUtf8AsTheImageBuildDoes()
        {
            dir.File("proj/lib/good.txt", "good\n");
            MakeBadName();
            var built = Assert.Throws<OsvException>(() => Compose());
            var packed = Assert.Throws<OsvException>(() => Package());
            Assert.Equal(ErrorIds.FileNameInvalid, built.ErrorId);
            Assert.Equal(ErrorIds.FileNameInvalid, packed.ErrorId);
            Assert.Equal(built.Message, packed.Message);
            Assert.False(File.Exists(Repository.PackageFile("proj", ".mpm")), "no package is left by a refused build");

            File.WriteAllText(Path.Combine(project, ".capstanignore"), "/lib/bad*\n");
            Package();
            var entries = PackedEntries();
            Assert.Contains("lib/good.txt", entries.Keys);
            Assert.DoesNotContain(entries.Keys, n => n.StartsWith("lib/bad", StringComparison.Ordinal));
        }

        [Fact]
        public void APackageHoldsWhatTheImageHoldsPlusMetaAndItsLinksAsTheGuestSeesThem()
        {
            dir.File("proj/hello", "HELLO");
            dir.File("proj/etc/app.conf", "x = 1\n");
            dir.File("proj/skip/me.txt", "ignored\n");
            dir.File("proj/.app.conf.0123456789ab.tmp", "a killed run's temporary\n");
            File.WriteAllText(Path.Combine(project, ".capstanignore"), "/skip\n");
            Assert.Equal(0, TestFiles.Run("mkfifo", Path.Combine(project, "fifo")).code);
            File.CreateSymbolicLink(Path.Combine(project, "etc/relative"), "app.conf");
            File.CreateSymbolicLink(Path.Combine(project, "etc/absolute"), Path.Combine(project, "hello"));

            var image = Compose().Files.Select(f => f.Key).Where(g => !g.StartsWith("/run/", StringComparison.Ordinal)).ToList();
            Package();
            var packed = PackedEntries();
            var packedFiles = packed.Keys.Where(n => !n.StartsWith("meta", StringComparison.Ordinal) && n != "etc").Select(n => "/" + n).OrderBy(n => n, StringComparer.Ordinal);
            Assert.Equal(image.OrderBy(n => n, StringComparer.Ordinal), packedFiles);
            Assert.Equal(new[] { "/etc/absolute", "/etc/app.conf", "/etc/relative", "/hello" }, packedFiles);
            Assert.Contains("meta/run.yaml", packed.Keys);
            Assert.Equal("app.conf", packed["etc/relative"]);
            // Before: the package kept the host's path ('<project>/hello'), which names nothing in the guest.
            Assert.Equal("/hello", packed["etc/absolute"]);
        }

        // Before: Export-OsvPackage packed a link that leaves the project as it was; now it is refused as the build refuses it.
        [Fact]
        public void APackageRefusesALinkThatLeavesTheProjectUnlessKept()
        {
            File.CreateSymbolicLink(Path.Combine(project, "passwd"), "/etc/passwd");
            Assert.Equal(ErrorIds.SymlinkOutsideProject, Assert.Throws<OsvException>(() => Compose()).ErrorId);
            var e = Assert.Throws<OsvException>(() => Package());
            Assert.Equal(ErrorIds.SymlinkOutsideProject, e.ErrorId);
            Assert.Contains("-KeepExternalSymlinks", e.Message);
            Package(keepExternal: true);
            Assert.Equal("/etc/passwd", PackedEntries()["passwd"]);
        }
    }
}
