using System;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Elf;
using OsvPS.Core.Models;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>
    /// The rules for what OSv's kernel does at run time (Test-OsvBinary's Findings), on programs built here that
    /// import the calls and hold the texts the rules look for. The stand-in kernel is the host's libc.so.6, which
    /// defines every call these programs make, so only the rules can change the verdicts; the real kernel and the
    /// real programs (postgres, unbound, squid, etcd) are judged in tests/Pester/Test-OsvBinary.Tests.ps1.
    /// </summary>
    public sealed class KernelRulesTests : IDisposable
    {
        private static readonly string StandInKernel = new DependencyResolver().Cache.Lookup("libc.so.6").First();
        private readonly TempDir dir = new TempDir();

        public KernelRulesTests()
        {
            if (!TestFiles.Has("gcc")) throw new InvalidOperationException("gcc is required (.ci/run installs it)");
        }

        public void Dispose() => dir.Dispose();

        private string Build(string name, string code, params string[] flags)
        {
            dir.File(name + ".c", code);
            GccRunner.Run(dir.Path, new[] { "-O1", "-o", name, name + ".c" }.Concat(flags).ToArray());
            return dir.Combine(name);
        }

        private OsvBinaryCompatibility Check(string path)
            => new OsvCompatibility(new ResolverOptions { LibraryPath = new[] { dir.Path } }, StandInKernel, null).Check(path);

        private const string Refusal = "\\\"root\\\" execution of the PostgreSQL server is not permitted.";

        [Fact]
        public void AProgramThatRefusesRootCannotRunEitherWay()
        {
            string path = Build("refuser", "#include <stdio.h>\n#include <unistd.h>\n" +
                $"int main(void) {{ if (geteuid() == 0) {{ puts(\"{Refusal}\"); return 1; }} return 0; }}");
            var report = Check(path);
            Assert.Equal(OsvRunVerdict.CannotRun, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.CannotRun, report.LinuxLinker);
            Assert.Equal(OsvRunWay.None, report.RecommendedWay);
            Assert.False(report.Compatible);
            Assert.Contains("geteuid() always returns 0", report.OsvLinkerReason);
            Assert.Equal(report.OsvLinkerReason, report.LinuxLinkerReason);
            var finding = Assert.Single(report.Findings, f => f.Rule == "RootRefusal");
            Assert.Equal(OsvFindingEffect.CannotRun, finding.Effect);
            Assert.Contains("geteuid (refuser)", finding.Evidence);
            Assert.Contains(finding.Evidence, e => e.StartsWith("text '\"root\" execution", StringComparison.Ordinal));
            Assert.Contains("libc/libc.cc:155", finding.Source);
        }

        [Fact]
        public void EveryConditionOfARuleMustHold()
        {
            // The refusal text without geteuid, and geteuid without the text: neither refuses root.
            string text = Build("textonly", $"#include <stdio.h>\nint main(void) {{ puts(\"{Refusal}\"); return 0; }}");
            string call = Build("callonly", "#include <unistd.h>\nint main(void) { return geteuid() == 0; }");
            foreach (var report in new[] { Check(text), Check(call) })
            {
                Assert.Empty(report.Findings);
                Assert.Equal(OsvRunVerdict.Runs, report.OsvLinker);
                Assert.True(report.Compatible);
            }
        }

        [Fact]
        public void AProgramThatForksMayFailAndStillRuns()
        {
            string path = Build("forker", "#include <unistd.h>\nint main(void) { return fork() > 0; }");
            var report = Check(path);
            Assert.Equal(OsvRunVerdict.Runs, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.Runs, report.LinuxLinker);
            Assert.True(report.Compatible);
            var finding = Assert.Single(report.Findings);
            Assert.Equal("ProcessCalls", finding.Rule);
            Assert.Equal(OsvFindingEffect.MayFail, finding.Effect);
            Assert.Equal(new[] { "fork (forker)" }, finding.Evidence);
            Assert.Contains("fork() and vfork() return -1", finding.Reason);
            Assert.DoesNotContain(report.Notes, n => n.Contains("fork"));
        }

        [Fact]
        public void AnMtuDiscoveryFailureThatGivesUpTheSocketCannotRunAndOtherOptionsMayFail()
        {
            const string code = "#include <stdio.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n" +
                "int main(void) { int s = socket(AF_INET, SOCK_DGRAM, 0), v = 5; if (setsockopt(s, IPPROTO_IP, 10, &v, sizeof v) < 0) { puts(\"MESSAGE\"); return 1; } return 0; }";
            // The socket's message alone (as unbound-checkconf carries it) is not the daemon giving up its ports.
            var tool = Check(Build("mtutool", code.Replace("MESSAGE", "setsockopt(..., IP_MTU_DISCOVER, IP_PMTUDISC_OMIT...) failed")));
            Assert.Equal(OsvRunVerdict.Runs, tool.OsvLinker);
            Assert.Equal(new[] { "SocketOptions" }, tool.Findings.Select(f => f.Rule));
            var fatal = Check(Build("mtu", code.Replace("MESSAGE", "setsockopt(..., IP_MTU_DISCOVER, IP_PMTUDISC_OMIT...) failed\\n could not open ports")));
            Assert.Equal(OsvRunVerdict.CannotRun, fatal.OsvLinker);
            Assert.Equal(OsvRunVerdict.CannotRun, fatal.LinuxLinker);
            Assert.Contains("ENOPROTOOPT", fatal.OsvLinkerReason);
            Assert.Equal(new[] { "MtuDiscovery", "SocketOptions" }, fatal.Findings.Select(f => f.Rule));
            Assert.Contains("text 'IP_MTU_DISCOVER'", fatal.Findings[1].Evidence);
            var named = Check(Build("freebind", code.Replace("MESSAGE", "IP_FREEBIND failed")));
            Assert.Equal(OsvRunVerdict.Runs, named.OsvLinker);
            var finding = Assert.Single(named.Findings);
            Assert.Equal("SocketOptions", finding.Rule);
            Assert.Equal(OsvFindingEffect.MayFail, finding.Effect);
            Assert.Equal(new[] { "setsockopt (freebind)", "text 'IP_FREEBIND'" }, finding.Evidence);
        }

        [Fact]
        public void AProgramThatGivesUpRootLikeSquidCannotRun()
        {
            // libcap's cap_get_proc, from a library of its own name, and squid's leave_suid.
            dir.File("cap.c", "void *cap_get_proc(void) { return 0; }");
            GccRunner.Run(dir.Path, "-shared", "-fPIC", "-o", "libcap.so.2", "cap.c", "-Wl,-soname,libcap.so.2");
            string path = Build("dropper", "#include <stdio.h>\n#include <unistd.h>\nvoid *cap_get_proc(void);\n" +
                "int main(void) { if (geteuid() == 0) { puts(\"leave_suid: PID\"); return cap_get_proc() != 0; } return 0; }", "-L.", "-l:libcap.so.2");
            var report = Check(path);
            Assert.Equal(OsvRunVerdict.CannotRun, report.OsvLinker);
            Assert.Equal(OsvRunVerdict.CannotRun, report.LinuxLinker);
            Assert.Contains("capget", report.OsvLinkerReason);
            var drops = Assert.Single(report.Findings, f => f.Rule == "DropsRoot");
            Assert.Equal(new[] { "geteuid (dropper)", "cap_get_proc (dropper)", "text 'leave_suid'" }, drops.Evidence);
            Assert.Contains(report.Findings, f => f.Rule == "Capabilities" && f.Effect == OsvFindingEffect.MayFail);
        }

        [Fact]
        public void AWayThatAlreadyFailsKeepsItsOwnReason()
        {
            var findings = new[] { new OsvKernelFinding("RootRefusal", OsvFindingEffect.CannotRun, "refuses root", new string[0], "x") };
            var fails = new OsvWayVerdict(OsvRunVerdict.FailsAtLoad, "stops at load: x", new OsvMissingSymbol[0], new string[0]);
            Assert.Same(fails, OsvKernelRules.Apply(fails, findings));
            var lazy = new OsvWayVerdict(OsvRunVerdict.RunsUnlessCalled, "starts; stops if it calls y",
                new[] { new OsvMissingSymbol("y", "/p", "R_X86_64_JUMP_SLOT", false, OsvRunWay.OsvLinker) }, new[] { "/lib/l.so" });
            var applied = OsvKernelRules.Apply(lazy, findings);
            Assert.Equal(OsvRunVerdict.CannotRun, applied.Verdict);
            Assert.Equal("refuses root", applied.Reason);
            Assert.Same(lazy.Missing, applied.Missing);
            Assert.Same(lazy.Libraries, applied.Libraries);
            var mayFail = new[] { new OsvKernelFinding("ProcessCalls", OsvFindingEffect.MayFail, "fork fails", new string[0], "x") };
            Assert.Same(lazy, OsvKernelRules.Apply(lazy, mayFail));
        }

        [Fact]
        public void FindsTextsAcrossTheReadsBoundaryAndOnlyInTheRangeAsked()
        {
            // 1 MiB windows: a text that straddles the first boundary is still found.
            var bytes = new byte[(1 << 20) + 4096];
            Encoding.ASCII.GetBytes("STRADDLE").CopyTo(bytes, (1 << 20) - 4);
            Encoding.ASCII.GetBytes("EARLY").CopyTo(bytes, 100);
            string file = dir.Combine("blob");
            File.WriteAllBytes(file, bytes);
            var found = ElfContents.Find(file, new[] { "STRADDLE", "EARLY", "ABSENT" });
            Assert.Equal(new[] { "EARLY", "STRADDLE" }, found.OrderBy(t => t, StringComparer.Ordinal));
            Assert.Equal(new[] { "STRADDLE" }, ElfContents.Find(file, new[] { "STRADDLE", "EARLY" }, 200, 1 << 20));
            Assert.Empty(ElfContents.Find(dir.Combine("no-such-file"), new[] { "EARLY" }));
        }

        [Fact]
        public void FindsASectionWhereReadelfSaysItIs()
        {
            string path = Build("sections", "#include <stdio.h>\nint main(void) { puts(\"a text in .rodata\"); return 0; }");
            var rodata = ElfContents.Section(path, ".rodata");
            Assert.NotNull(rodata);
            var info = new System.Diagnostics.ProcessStartInfo("readelf", $"-S -W {path}") { RedirectStandardOutput = true };
            using var readelf = System.Diagnostics.Process.Start(info)!;
            string line = readelf.StandardOutput.ReadToEnd().Split('\n').First(l => l.Contains(" .rodata "));
            readelf.WaitForExit();
            var fields = line.Substring(line.IndexOf(" .rodata ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // Name, Type, Address, Off, Size.
            Assert.Equal(Convert.ToInt64(fields[3], 16), rodata!.Value.Offset);
            Assert.Equal(Convert.ToInt64(fields[4], 16), rodata.Value.Size);
            Assert.Contains("a text in .rodata", ElfContents.Find(path, new[] { "a text in .rodata" }, rodata.Value.Offset, rodata.Value.Size));
            Assert.Null(ElfContents.Section(path, ".gopclntab"));
            Assert.DoesNotContain(Check(path).Notes, n => n.Contains("Go program"));
        }
    }
}
