using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using OsvPS.Core.Elf;
using OsvPS.Core.Models;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>
    /// Test-OsvBinary's verdicts on programs built to lack a symbol each way. The kernel here is a stand-in: the host's
    /// libc.so.6, whose .dynsym defines what OSv's kernel defines for these programs; the real kernel judges the same
    /// programs in tests/Pester/Linkers.RealOsv.Tests.ps1. glibc's rules are checked against the host's own loader
    /// (ldd -d reports what fails at load, ldd -r everything missing).
    /// </summary>
    public class LinkerVerdictTests : IClassFixture<LinkerFixtures>
    {
        private readonly LinkerFixtures f;
        private static readonly string StandInKernel = new DependencyResolver().Cache.Lookup("libc.so.6").First();

        public LinkerVerdictTests(LinkerFixtures fixtures) => f = fixtures;

        private OsvCompatibility Checker(string libraries) => new OsvCompatibility(new ResolverOptions { LibraryPath = new[] { libraries } }, StandInKernel, null);

        [Theory]
        [InlineData("copyrel", OsvRunVerdict.FailsAtLoad, OsvRunVerdict.FailsAtLoad, "shared_value", "R_X86_64_COPY", OsvRunWay.None)]
        [InlineData("tls", OsvRunVerdict.FailsAtLoad, OsvRunVerdict.FailsAtLoad, "shared_tls", "R_X86_64_TPOFF64", OsvRunWay.None)]
        [InlineData("lazy", OsvRunVerdict.RunsUnlessCalled, OsvRunVerdict.RunsUnlessCalled, "shared_func", "R_X86_64_JUMP_SLOT", OsvRunWay.OsvLinker)]
        // OSv binds what it finds under BIND_NOW and leaves the rest lazy; glibc stops at load.
        [InlineData("lazynow", OsvRunVerdict.RunsUnlessCalled, OsvRunVerdict.FailsAtLoad, "shared_func", "R_X86_64_JUMP_SLOT", OsvRunWay.OsvLinker)]
        // OSv points a missing data reference at a page that aborts when touched; glibc stops at load.
        [InlineData("gotdata", OsvRunVerdict.RunsUnlessCalled, OsvRunVerdict.FailsAtLoad, "shared_value", "R_X86_64_GLOB_DAT", OsvRunWay.OsvLinker)]
        // OSv skips a hidden version; glibc binds the versioned reference to it.
        [InlineData("usever", OsvRunVerdict.RunsUnlessCalled, OsvRunVerdict.Runs, "versioned_func", "R_X86_64_JUMP_SLOT", OsvRunWay.LinuxLinker)]
        public void SaysWhatEachLinkerDoesWithAMissingSymbol(string program, OsvRunVerdict osv, OsvRunVerdict linux, string symbol, string relocation, OsvRunWay way)
        {
            string path = f.Path(program);
            var report = Checker(f.Bad).Check(path);
            Assert.Equal(osv, report.OsvLinker);
            Assert.Equal(linux, report.LinuxLinker);
            Assert.Equal(way, report.RecommendedWay);
            Assert.Equal(way != OsvRunWay.None, report.Compatible);
            var missing = Assert.Single(report.MissingSymbols);
            Assert.Equal(symbol, missing.Name);
            Assert.Equal(relocation, missing.Relocation);
            Assert.Equal(path, missing.Object);
            Assert.Equal(osv == OsvRunVerdict.FailsAtLoad, missing.AtLoad);
            Assert.Contains(symbol, report.OsvLinkerReason);
            Assert.Equal(report.LinuxLinker != OsvRunVerdict.Runs, report.LinuxMissingSymbols.Any(m => m.Name == symbol));
            Assert.Contains(report.LinuxLibraries, l => l.EndsWith("/libc.so.6", StringComparison.Ordinal));
            Assert.DoesNotContain(report.Libraries, l => l.EndsWith("/libc.so.6", StringComparison.Ordinal));
        }

        /// <summary>The programs built against a library that bad/ replaces.</summary>
        public static IEnumerable<object[]> SwappedLibraryPrograms()
            => new[] { "copyrel", "tls", "lazy", "lazynow", "gotdata", "usever" }.Select(p => new object[] { p });

        [Theory]
        [MemberData(nameof(SwappedLibraryPrograms))]
        public void RunsOnBothWithTheLibraryTheyWereBuiltAgainst(string program)
        {
            var report = Checker(f.Dir.Path).Check(f.Path(program));
            Assert.Equal(OsvRunVerdict.Runs, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.Runs, report.LinuxLinker);
            Assert.Equal(OsvRunWay.OsvLinker, report.RecommendedWay);
            Assert.Empty(report.MissingSymbols);
            Assert.Null(report.OsvLinkerReason);
        }

        [Fact]
        public void WeakReferencesAreNeverMissing()
        {
            var report = Checker(f.Bad).Check(f.Path("weak"));
            Assert.Equal(OsvRunVerdict.Runs, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.Runs, report.LinuxLinker);
        }

        [Fact]
        public void ASharedLibraryExportingMainIsAProgramOnlyOsvsLinkerStarts()
        {
            var report = Checker(f.Bad).Check(f.Path("echo.so"));
            Assert.Equal("SharedLibrary", report.Kind);
            Assert.True(report.IsProgram);
            Assert.Equal(OsvRunVerdict.Runs, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.CannotRun, report.LinuxLinker);
            Assert.Contains("main", report.LinuxLinkerReason);
            Assert.Equal(OsvRunWay.OsvLinker, report.RecommendedWay);
            Assert.False(Checker(f.Bad).Check(f.Path("plugin.so")).IsProgram);
        }

        [Fact]
        public void APluginsSymbolsCountWhenItsProgramIsNamed()
        {
            var alone = Checker(f.Bad).Check(f.Path("plugin.so"));
            Assert.Equal(OsvRunVerdict.RunsUnlessCalled, alone.OsvLinker);
            Assert.Equal(new[] { "host_api", "host_counter" }, alone.MissingSymbols.Select(m => m.Name).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(OsvRunVerdict.FailsAtLoad, alone.LinuxLinker);
            var loaded = Checker(f.Bad).Check(f.Path("plugin.so"), new[] { f.Path("host") });
            Assert.Equal(OsvRunVerdict.Runs, loaded.OsvLinker);
            Assert.Equal(OsvRunVerdict.Runs, loaded.LinuxLinker);
        }

        [Fact]
        public void AStaticExecutableRunsWithoutALinker()
        {
            Assert.True(f.HasStatic, "gcc -static failed: libc.a (libc6-dev, which gcc brings) is missing");
            var report = Checker(f.Bad).Check(f.Path("static"));
            Assert.Equal("StaticExecutable", report.Kind);
            Assert.True(report.IsProgram);
            Assert.Equal(OsvRunVerdict.Runs, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.CannotRun, report.LinuxLinker);
            Assert.True(report.Compatible);
            Assert.Contains(report.Notes, n => n.Contains("unimplemented system call"));
        }

        [Fact]
        public void AnotherArchitectureCannotRunEitherWay()
        {
            using var dir = new Support.TempDir();
            var bytes = File.ReadAllBytes(f.Path("lazy"));
            bytes[18] = 183; // e_machine: AArch64
            bytes[19] = 0;
            string path = dir.File("arm64", bytes);
            var report = Checker(f.Bad).Check(path);
            Assert.Equal(OsvRunVerdict.CannotRun, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.CannotRun, report.LinuxLinker);
            Assert.False(report.Compatible);
            Assert.Contains(report.Notes, n => n.Contains("AArch64"));
        }

        [Fact]
        public void AProgramWhoseDynamicLinkerIsMissingCannotRunOnLinuxs()
        {
            using var root = new Support.TempDir();
            Directory.CreateDirectory(root.Combine("bin"));
            File.Copy(f.Path("lazy"), root.Combine("bin/lazy"));
            var report = new OsvCompatibility(new ResolverOptions { Root = root.Path }, StandInKernel, null).Check(root.Combine("bin/lazy"));
            Assert.Equal(OsvRunVerdict.CannotRun, report.LinuxLinker);
            Assert.Contains("/lib64/ld-linux-x86-64.so.2 is not on " + root.Path, report.LinuxLinkerReason);
        }

        // glibc's own loader, in trace mode (nothing runs): what it reports missing at load (-d) and at all (-r).
        private static (HashSet<string> AtLoad, HashSet<string> All, bool NotFound) Ldd(string program, string? libraryPath)
        {
            bool notFound = false;
            HashSet<string> Undefined(string option)
            {
                var info = new ProcessStartInfo("ldd") { RedirectStandardOutput = true, RedirectStandardError = true };
                info.ArgumentList.Add(option);
                info.ArgumentList.Add(program);
                if (libraryPath != null) info.Environment["LD_LIBRARY_PATH"] = libraryPath;
                using var p = Process.Start(info)!;
                string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (text.Contains("not found")) notFound = true;
                return Regex.Matches(text, @"undefined symbol: (\S+)").Select(m => m.Groups[1].Value.Split('@')[0]).ToHashSet();
            }
            var atLoad = Undefined("-d");
            var all = Undefined("-r");
            return (atLoad, all, notFound);
        }

        [Theory]
        [MemberData(nameof(SwappedLibraryPrograms))]
        [InlineData("weak")]
        public void LinuxsVerdictAgreesWithGlibcsLoader(string program)
        {
            var report = Checker(f.Bad).Check(f.Path(program));
            var (atLoad, all, _) = Ldd(f.Path(program), f.Bad);
            Assert.Equal(atLoad.OrderBy(n => n), report.LinuxMissingSymbols.Where(m => m.AtLoad).Select(m => m.Name).Distinct().OrderBy(n => n));
            Assert.Equal(all.OrderBy(n => n), report.LinuxMissingSymbols.Select(m => m.Name).Distinct().OrderBy(n => n));
        }

        public static IEnumerable<object[]> HostPrograms()
        {
            var resolver = new DependencyResolver();
            var programs = Directory.GetFiles("/usr/bin").OrderBy(p => p, StringComparer.Ordinal).Where(p =>
            {
                try
                {
                    var elf = resolver.Read(p);
                    return elf.IsX8664 && elf.Interpreter == ElfFile.StandardInterpreter;
                }
                catch (OsvPS.Core.Errors.OsvException)
                {
                    return false;
                }
            }).ToList();
            int step = Math.Max(1, programs.Count / 40);
            return programs.Where((_, i) => i % step == 0).Take(40).Select(p => new object[] { p });
        }

        [Theory]
        [MemberData(nameof(HostPrograms))]
        public void LinuxsVerdictAgreesWithGlibcsLoaderOnHostPrograms(string program)
        {
            var report = Checker("/nonexistent").Check(program);
            // ld.so takes $ORIGIN from the path it is given; OsvPS, like the kernel starting a program, from the file's real path.
            var (atLoad, all, notFound) = Ldd(new FileInfo(program).ResolveLinkTarget(true)?.FullName ?? program, null);
            var expected = notFound ? OsvRunVerdict.CannotRun : atLoad.Count > 0 ? OsvRunVerdict.FailsAtLoad : all.Count > 0 ? OsvRunVerdict.RunsUnlessCalled : OsvRunVerdict.Runs;
            Assert.Equal(expected, report.LinuxLinker);
            Assert.Equal(all.OrderBy(n => n), report.LinuxMissingSymbols.Select(m => m.Name).Distinct().OrderBy(n => n));
        }
    }
}
