using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Projects;
using OsvPS.Core.Tests.Elf;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Projects
{
    /// <summary>Add-OsvBinary's placements of ELF files built here (ElfFixtures): guest paths, decisions, layouts.</summary>
    public sealed class BinaryPlacerTests : IClassFixture<ElfFixtures>
    {
        private readonly ElfFixtures f;

        public BinaryPlacerTests(ElfFixtures fixtures) => f = fixtures;

        private static DependencyResolver Resolver(ResolverOptions? o = null) => new DependencyResolver(o);

        [Fact]
        public void PlacerCopiesOnceAndRefusesConflicts()
        {
            using var project = new TempDir();
            var placer = new BinaryPlacer(Resolver(), project.Path);
            var placed = placer.Apply(placer.Plan(f.Path("bin/app-rpath"), new PlacementOptions()));
            Assert.Equal(new[] { "/app-rpath", "/usr/lib/libmid.so.1", "/usr/lib/libbase.so.1" }, placed.Select(p => p.GuestPath));
            Assert.All(placed, p => Assert.Equal(FileAction.Added, p.Action));
            Assert.Equal(File.ReadAllBytes(f.Path("lib1/libbase.so.1")), File.ReadAllBytes(project.Combine("usr/lib/libbase.so.1")));
            placer.Complete();
            Assert.Equal(File.GetLastWriteTimeUtc(f.Path("lib1/libbase.so.1")), File.GetLastWriteTimeUtc(project.Combine("usr/lib/libbase.so.1")));
            var again = placer.Plan(f.Path("bin/app-rpath"), new PlacementOptions());
            Assert.All(again.Planned, p => Assert.Equal(FileAction.Unchanged, p.Action));

            // A new call looks at the project again (one placer serves one call).
            File.WriteAllText(project.Combine("usr/lib/libmid.so.1"), "different");
            var next = new BinaryPlacer(Resolver(), project.Path);
            var e = Assert.Throws<OsvException>(() => next.Plan(f.Path("bin/app-rpath"), new PlacementOptions()));
            Assert.Equal("GuestPathConflict", e.ErrorId);
            Assert.Contains(f.Path("lib2/libmid.so.1"), e.Message);
            var forced = new BinaryPlacer(Resolver(), project.Path);
            Assert.Equal(FileAction.Replaced, forced.Plan(f.Path("bin/app-rpath"), new PlacementOptions { Force = true }).Planned.Single(p => p.GuestPath == "/usr/lib/libmid.so.1").Action);
        }

        [Fact]
        public void PlacerRefusesMissingLibrariesUnlessSkipped()
        {
            using var project = new TempDir();
            var placer = new BinaryPlacer(Resolver(), project.Path);
            var e = Assert.Throws<OsvException>(() => placer.Plan(f.Path("bin/needs-ghost"), new PlacementOptions()));
            Assert.Equal(ErrorIds.SharedLibraryNotFound, e.ErrorId);
            Assert.Contains("libghost.so (needed by", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(project.Path));
            var skipped = placer.Plan(f.Path("bin/needs-ghost"), new PlacementOptions { SkipMissing = true });
            Assert.Contains(skipped.Warnings, w => w.Contains("libghost.so"));
        }

        [Theory]
        [InlineData("/../etc/passwd")]
        [InlineData("/meta/run.yaml")]
        [InlineData("/meta/")]
        [InlineData("/../")]
        public void GuestPathsMustStayInTheProject(string guest)
        {
            using var project = new TempDir();
            var e = Assert.Throws<OsvException>(() => new BinaryPlacer(Resolver(), project.Path).Plan(f.Path("bin/pie"), new PlacementOptions { GuestPath = guest }));
            Assert.Equal("GuestPathInvalid", e.ErrorId);
        }

        [Fact]
        public void StaticExecutableIsAProgramAtItsName()
        {
            Assert.True(f.HasStatic, "gcc -static failed: libc.a (libc6-dev, which gcc brings) is missing");
            using var project = new TempDir();
            var placement = new BinaryPlacer(Resolver(), project.Path).Plan(f.Path("bin/static"), new PlacementOptions());
            Assert.Empty(placement.Warnings);
            Assert.True(placement.IsProgram);
            Assert.Equal("/static", placement.BootCommand);
            Assert.Equal(new[] { "/static" }, placement.Planned.Select(p => p.GuestPath));
        }

        [Fact]
        public void AGuestPathEndingInASlashIsAFolder()
        {
            using var project = new TempDir();
            var placer = new BinaryPlacer(Resolver(), project.Path);
            var options = new PlacementOptions { GuestPath = "/usr/lib/plugins/", NoDependencies = true };
            Assert.Equal("/usr/lib/plugins/libbase.so.1", placer.Plan(f.Path("lib1/libbase.so.1"), options).Planned.Single().GuestPath);
            Assert.Equal("/usr/lib/plugins/libmid.so.1", placer.Plan(f.Path("lib2/libmid.so.1"), options).Planned.Single().GuestPath);
            Assert.Equal("/usr/lib/plugins/pie", placer.Plan(f.Path("bin/pie"), options).BootCommand);
        }

        [Fact]
        public void TheLinuxLinkerLayoutCarriesTheLoaderAndTheCLibraryWhereTheLoaderLooks()
        {
            using var project = new TempDir();
            var linux = new DependencyResolver(OsvCompatibility.LinuxOptions(new ResolverOptions()));
            var placement = new BinaryPlacer(Resolver(), project.Path, linux).Plan(f.Path("bin/app-rpath"), new PlacementOptions { LinuxLinker = true });
            var guests = placement.Planned.Select(p => p.GuestPath).ToList();
            Assert.Equal("/app-rpath", guests[0]);
            Assert.Contains(ElfFile.StandardInterpreter, guests);
            // libc where the host's loader finds it (a system folder); the $ORIGIN libraries in the extra folder.
            string libc = linux.Resolve(f.Path("bin/app-rpath")).Libraries.Single(l => l.Name == "libc.so.6").LoaderPath!;
            Assert.Contains(libc, guests);
            Assert.Contains("/usr/local/lib/libmid.so.1", guests);
            Assert.Contains("/usr/local/lib/libbase.so.1", guests);
            Assert.DoesNotContain(guests, g => g.EndsWith("/ld-linux-x86-64.so.2", StringComparison.Ordinal) && g != ElfFile.StandardInterpreter);
            Assert.Equal("/lib64/ld-linux-x86-64.so.2 --library-path /usr/local/lib /app-rpath", placement.BootCommand);
            Assert.Equal(placement.BootCommand, placement.Planned.First().BootCommand);
        }
    }
}
