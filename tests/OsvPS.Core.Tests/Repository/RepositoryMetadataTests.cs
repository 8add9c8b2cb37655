using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Disk;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;
using OsvPS.Core.IO;

namespace OsvPS.Core.Tests.Repository
{
    /// <summary>Repository states from Capstan's own tests: what a listing shows when metadata is missing or wrong.</summary>
    public sealed class RepositoryMetadataTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly CapstanRepository repo;

        public RepositoryMetadataTests() => repo = new CapstanRepository(dir.Combine("capstan"));

        public void Dispose() => dir.Dispose();

        private void Image(string name, string? index)
        {
            dir.File($"capstan/repository/{name}/{name}.qemu", TestFiles.Loader());
            if (index != null)
            {
                dir.File($"capstan/repository/{name}/index.yaml", index);
            }
        }

        [Theory]
        [InlineData(null)]                                                   // no index.yaml at all
        [InlineData("format_version: 1\nversion: v1\n")]                      // no created
        [InlineData("format_version: 1\ncreated: \"\"\n")]                    // empty created
        [InlineData("format_version: 1\ncreated: not a time at all\n")]      // garbage
        [InlineData("format_version: 1\ncreated: [1, 2\n")]                  // unreadable YAML
        public void AnImageWithoutACreationTimeHasNone(string? index)
        {
            Image("img", index);
            var image = repo.GetImage("img");
            Assert.Null(image.Created);
            Assert.Equal(Path.Combine(repo.ImagesPath, "img", "img.qemu"), image.Path);
        }

        [Fact]
        public void CreationTimesAreUtcForImagesAndPackagesAlike()
        {
            Image("img", "created: 2015-10-21 07:28:00\n");
            Assert.Equal(new DateTime(2015, 10, 21, 7, 28, 0, DateTimeKind.Utc), repo.GetImage("img").Created);
            Assert.Equal(DateTimeKind.Utc, repo.GetImage("img").Created!.Value.Kind);
            dir.File("capstan/packages/p.mpm", new byte[] { 1 });
            dir.File("capstan/packages/p.yaml", "name: p\ntitle: P\nauthor: a\ncreated: 2015-10-21T07:28:00\n");
            var package = OsvPS.Core.Repository.LocalPackages.List(repo).Single();
            Assert.Equal(new DateTime(2015, 10, 21, 7, 28, 0, DateTimeKind.Utc), package.Created);
            Assert.Equal(DateTimeKind.Utc, package.Created!.Value.Kind);
        }

        [Theory]
        [InlineData("name: p\ntitle: P\nauthor: a\n")]
        [InlineData("name: p\ntitle: P\nauthor: a\ncreated: \"\"\n")]
        [InlineData("name: p\ntitle: P\nauthor: a\ncreated: yesterday-ish\n")]
        public void APackageWithoutACreationTimeHasNone(string yaml)
        {
            dir.File("capstan/packages/p.mpm", new byte[] { 1 });
            dir.File("capstan/packages/p.yaml", yaml);
            Assert.Null(OsvPS.Core.Repository.LocalPackages.List(repo).Single().Created);
        }

        [Fact]
        public void ABrokenPackageDescriptionIsNamedAndTheRestListed()
        {
            dir.File("capstan/packages/good.mpm", new byte[] { 1 });
            dir.File("capstan/packages/good.yaml", "name: good\ntitle: Good\nauthor: a\n");
            dir.File("capstan/packages/broken.mpm", new byte[] { 1 });
            dir.File("capstan/packages/broken.yaml", "name: [unclosed\n");
            dir.File("capstan/packages/stray.yaml", "just: some\nother: file\n");
            var warnings = new List<string>();
            var listed = OsvPS.Core.Repository.LocalPackages.List(repo, warnings.Add);
            Assert.Equal(new[] { "broken", "good" }, listed.Select(p => p.Name));
            Assert.Null(listed[0].Title);
            Assert.Equal("Good", listed[1].Title);
            Assert.Equal(2, warnings.Count);
            Assert.Contains(warnings, w => w.Contains("broken.yaml") && w.Contains("not a package description"));
            Assert.Contains(warnings, w => w.Contains("stray.yaml"));
        }

        [Fact]
        public void PlatformIsTheBuildSystemFromOsRelease()
        {
            string release = dir.File("os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
            Assert.Equal("Debian-12", HostPlatform.Describe(release));
            Assert.Equal("Ubuntu-14.04", HostPlatform.Describe(dir.File("ubuntu", "ID=ubuntu\nVERSION_ID=\"14.04\"\n")));
            Assert.Equal("Alpine", HostPlatform.Describe(dir.File("alpine", "ID=alpine\n")));
            Assert.NotEmpty(HostPlatform.Describe(dir.Combine("none")));
        }

        /// <summary>
        /// Issue 26: an image whose index.yaml names a loader outside the repository booted the kernel beside
        /// that outside file. A loader outside is not taken from the index, so no kernel is looked for there.
        /// </summary>
        [Theory]
        [InlineData("OUTSIDE/osv-loader.qemu", false)]
        [InlineData("capstan/repository/osv-loader/../../../OUTSIDE/osv-loader.qemu", false)]
        [InlineData("capstan/packages/osv-loader.qemu", false)]
        [InlineData("capstan/repository/osv-loader/osv-loader.qemu", true)]
        [InlineData("capstan/repository/mike/osv-loader/osv-loader.qemu", true)]
        public void ALoaderNamedByAnIndexMustBeInsideTheRepository(string loader, bool kept)
        {
            string named = dir.Combine(loader);
            dir.File("OUTSIDE/osv-loader.qemu", TestFiles.Loader());
            dir.File("OUTSIDE/osv-loader.elf", "\u007fELF outside kernel");
            Image("app", $"format_version: 1\nloader: {named}\n");
            Image("ns/app", $"format_version: 1\nloader: {named}\n");
            Assert.Equal(kept ? Path.GetFullPath(named) : null, repo.ReadIndex("app").Loader);
            Assert.Equal(kept ? Path.GetFullPath(named) : null, repo.ReadIndex("ns/app").Loader);
            if (!kept)
            {
                Assert.Null(OsvPS.Core.Instances.InstancePlanner.FindKernel(repo.FindImageFile("app")!));
            }
        }

        [Fact]
        public void ARelativeLoaderInAnIndexIsNotTaken()
        {
            Image("app", "format_version: 1\nloader: ../osv-loader/osv-loader.qemu\n");
            Assert.Null(repo.ReadIndex("app").Loader);
        }
    }
}
