using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Projects;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    public class ElfResolverTests : IClassFixture<ElfFixtures>
    {
        private readonly ElfFixtures f;

        public ElfResolverTests(ElfFixtures fixtures) => f = fixtures;

        private static DependencyResolver Resolver(ResolverOptions? o = null) => new DependencyResolver(o);

        [Fact]
        public void ClassifiesEachKind()
        {
            var r = Resolver();
            Assert.Equal(ElfKind.PositionIndependentExecutable, r.Read(f.Path("bin/pie")).Kind);
            Assert.Equal(ElfKind.DynamicExecutable, r.Read(f.Path("bin/nonpie")).Kind);
            var lib = r.Read(f.Path("lib1/libbase.so.1"));
            Assert.Equal(ElfKind.SharedLibrary, lib.Kind);
            Assert.Equal("libbase.so.1", lib.Soname);
            Assert.Equal(ElfFile.StandardInterpreter, r.Read(f.Path("bin/pie")).Interpreter);
            Assert.True(r.Read(f.Path("bin/pie")).RunsOnOsv);
            Assert.True(f.HasStatic, "gcc -static failed: libc.a (libc6-dev, which gcc brings) is missing");
            var s = r.Read(f.Path("bin/static"));
            Assert.Equal(ElfKind.StaticExecutable, s.Kind);
            Assert.True(s.RunsOnOsv, "OSv starts a static executable at its entry point");
            Assert.Empty(s.Needed);
        }

        [Fact]
        public void ReadsNeededRpathAndRunpath()
        {
            var r = Resolver();
            var rpath = r.Read(f.Path("bin/app-rpath"));
            Assert.Equal(new[] { "$ORIGIN/../lib2" }, rpath.RPath);
            Assert.Empty(rpath.RunPath);
            Assert.Contains("libmid.so.1", rpath.Needed);
            var runpath = r.Read(f.Path("bin/app-runpath"));
            Assert.Equal(new[] { "$ORIGIN/../lib2" }, runpath.RunPath);
            Assert.Empty(runpath.RPath);
        }

        [Theory]
        [InlineData("bin/app-rpath", ResolvedVia.RPath)]
        [InlineData("bin/app-runpath", ResolvedVia.RunPath)]
        public void OriginRelativePathsFindTheLibraryAndItsOwnDependency(string app, ResolvedVia via)
        {
            var tree = Resolver().Resolve(f.Path(app));
            var mid = tree.Libraries.Single(l => l.Name == "libmid.so.1");
            Assert.Equal(via, mid.Via);
            Assert.Equal(Path.GetFullPath(f.Path("lib2/libmid.so.1")), Path.GetFullPath(mid.Path!));
            var b = tree.Libraries.Single(l => l.Name == "libbase.so.1");
            Assert.Equal(ResolvedVia.RPath, b.Via); // libmid's own RPATH
            Assert.Equal(new[] { mid.Path }, b.RequiredBy);
            Assert.DoesNotContain(tree.ToCopy, l => l.Name.StartsWith("libc.so"));
            Assert.Contains(tree.Libraries, l => l.Name == "libc.so.6" && l.Via == ResolvedVia.Provided);
        }

        [Fact]
        public void RpathOfTheExecutableServesItsLibrariesButRunpathDoesNot()
        {
            // chain-rpath: libchain (no paths of its own) needs libbase; the executable's RPATH covers it.
            var viaRpath = Resolver().Resolve(f.Path("bin/chain-rpath"));
            Assert.Equal(ResolvedVia.RPath, viaRpath.Libraries.Single(l => l.Name == "libbase.so.1").Via);
            Assert.Empty(viaRpath.Missing);
            // chain-runpath: RUNPATH applies to the executable's own DT_NEEDED only, as in glibc.
            var viaRunpath = Resolver().Resolve(f.Path("bin/chain-runpath"));
            Assert.Equal("libbase.so.1", Assert.Single(viaRunpath.Missing).Name);
        }

        [Fact]
        public void LibraryPathIsSearchedOnlyWhenGiven()
        {
            Assert.Equal("libbase.so.1", Assert.Single(Resolver().Resolve(f.Path("bin/chain-runpath")).Missing).Name);
            var tree = Resolver(new ResolverOptions { LibraryPath = new[] { f.Path("lib1") } }).Resolve(f.Path("bin/chain-runpath"));
            Assert.Empty(tree.Missing);
            Assert.Equal(ResolvedVia.LdLibraryPath, tree.Libraries.Single(l => l.Name == "libbase.so.1").Via);
        }

        [Fact]
        public void MissingLibraryIsNamedWithWhoNeedsIt()
        {
            var tree = Resolver().Resolve(f.Path("bin/needs-ghost"));
            var ghost = Assert.Single(tree.Missing);
            Assert.Equal("libghost.so", ghost.Name);
            Assert.Equal(new[] { Path.GetFullPath(f.Path("bin/needs-ghost")) }, ghost.RequiredBy);
        }

        [Fact]
        public void CyclesEndWithEachLibraryOnce()
        {
            var tree = Resolver().Resolve(f.Path("cyc/liba.so"));
            var b = Assert.Single(tree.Libraries, l => l.Name == "libb.so");
            Assert.Equal(ResolvedVia.RPath, b.Via);
            Assert.DoesNotContain(tree.Libraries, l => l.Name == "liba.so"); // already loaded: it is the input
        }

        [Fact]
        public void WrongMachineCandidatesArePassedOver()
        {
            // A decoy of another machine in the first RPATH folder: the loader skips it, so do we.
            using var dir = new TempDir();
            Directory.CreateDirectory(dir.Combine("bin"));
            Directory.CreateDirectory(dir.Combine("lib2"));
            File.Copy(f.Path("bin/chain-rpath"), dir.Combine("bin/chain-rpath"));
            File.Copy(f.Path("lib2/libchain.so"), dir.Combine("lib2/libchain.so"));
            var decoy = File.ReadAllBytes(f.Path("lib1/libbase.so.1"));
            decoy[18] = 183; // e_machine = AArch64
            File.WriteAllBytes(dir.Combine("lib2/libbase.so.1"), decoy);
            Directory.CreateDirectory(dir.Combine("lib1"));
            File.Copy(f.Path("lib1/libbase.so.1"), dir.Combine("lib1/libbase.so.1"));
            var tree = Resolver().Resolve(dir.Combine("bin/chain-rpath"));
            Assert.Equal(Path.GetFullPath(dir.Combine("lib1/libbase.so.1")), tree.Libraries.Single(l => l.Name == "libbase.so.1").Path);
        }

        [Fact]
        public void ProvidedListCanBeReplacedOrIncluded()
        {
            var all = Resolver(new ResolverOptions { IncludeProvided = true }).Resolve(f.Path("bin/pie"));
            Assert.Contains(all.ToCopy, l => l.Name == "libc.so.6");
            var none = Resolver(new ResolverOptions { Provided = new string[0] }).Resolve(f.Path("bin/pie"));
            Assert.Contains(none.ToCopy, l => l.Name == "libc.so.6");
            var r = Resolver();
            Assert.True(r.IsProvided("libstdc++.so.6"));
            Assert.True(r.IsProvided("ld-linux-x86-64.so.2"));
            Assert.True(r.IsProvided("libgcc_s.so.1"));
            Assert.False(r.IsProvided("libz.so.1"));
            Assert.False(r.IsProvided("libcrypto.so.3")); // "libc" must not match by prefix
            Assert.False(r.IsProvided("libselinux.so.1")); // OSv's kernel does not supply it
            Assert.False(r.IsProvided("libc.so.5"));       // only the sonames the kernel answers
            Assert.True(r.IsProvided("libutil.so"));
        }

        [Fact]
        public void SysrootResolvesInsideTheRoot()
        {
            using var root = new TempDir();
            Directory.CreateDirectory(root.Combine("usr/lib/x86_64-linux-gnu"));
            Directory.CreateDirectory(root.Combine("opt/app"));
            Directory.CreateDirectory(root.Combine("etc"));
            File.Copy(f.Path("lib1/libbase.so.1"), root.Combine("usr/lib/x86_64-linux-gnu/libbase.so.1.0"));
            // An absolute symlink inside the root must stay inside it.
            File.CreateSymbolicLink(root.Combine("usr/lib/x86_64-linux-gnu/libbase.so.1"), "/usr/lib/x86_64-linux-gnu/libbase.so.1.0");
            File.Copy(f.Path("lib2/libchain.so"), root.Combine("opt/app/libchain.so"));
            File.WriteAllText(root.Combine("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
            Directory.CreateDirectory(root.Combine("etc/ld.so.conf.d"));
            File.WriteAllText(root.Combine("etc/ld.so.conf.d/app.conf"), "# app libraries\n/opt/app\n");
            File.Copy(f.Path("bin/chain-runpath"), root.Combine("opt/app/prog"));
            var tree = Resolver(new ResolverOptions { Root = root.Path }).Resolve(root.Combine("opt/app/prog"));
            Assert.DoesNotContain(tree.Missing, m => m.Name != "libchain.so");
            var baseLib = tree.Libraries.Single(l => l.Name == "libbase.so.1");
            Assert.StartsWith(root.Path, baseLib.Path);
            Assert.Equal(ResolvedVia.DefaultPath, baseLib.Via);
        }

        [Fact]
        public void NotElfWrongMachineAndTruncatedAreClearErrors()
        {
            using var dir = new TempDir();
            var e = Assert.Throws<OsvException>(() => ElfFile.Read(dir.File("text", "hello")));
            Assert.Equal(ErrorIds.ElfFormatInvalid, e.ErrorId);
            var bytes = File.ReadAllBytes(f.Path("bin/pie"));
            Assert.Equal(ErrorIds.ElfFormatInvalid, Assert.Throws<OsvException>(() => ElfFile.Read(dir.File("trunc", bytes[..40]))).ErrorId);
            var arm = (byte[])bytes.Clone();
            arm[18] = 183;
            var placer = new BinaryPlacer(Resolver(), dir.Path);
            Assert.Equal(ErrorIds.ElfArchitectureNotSupported, Assert.Throws<OsvException>(() => placer.Plan(dir.File("arm", arm), new PlacementOptions())).ErrorId);
        }
    }
}
