using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>The exit-status lines and the chatter of OSv's --verbose console, as the real kernel printed them.</summary>
    public sealed class GuestConsoleTests
    {
        // A kernel boot of OSv v0.57.0-398 with --verbose running '/ret 3' (lines as seen on a real OSv build).
        private static readonly string[] VerboseRun =
        {
            "OSv v0.57.0-398-g0e34e4dc", "2 CPUs detected", "Firmware vendor: SeaBIOS", "NUMA: no SRAT, assuming a single flat node",
            "bsd: initializing - done", "VFS: mounting ramfs at /", "net: initializing - done", "vga: Add VGA device instance",
            "eth0: ethernet address: 52:54:00:12:34:56", "devfs: created device vblk0.1 for a partition at offset:4194304 with size:159232",
            "virtio-blk: Add blk device instances 0 as vblk0, devsize=4353536", "random: virtio-rng registered as a source.",
            "Auto-discovering the root filesystem...", "VFS: mounting rofs at /rofs",
            "[I/22 dhcp]: Broadcasting DHCPDISCOVER message with xid: [1455019500]", "[I/22 dhcp]: Waiting for IP...",
            "eth0: 192.168.122.15", "[I/31 dhcp]: Configuring eth0: ip 192.168.122.15 subnet mask 255.255.255.0 gateway 192.168.122.1 MTU 1500",
            "Booted up in 0.00 ms", "Cmdline: /ret 3", "Setting in environment: GREETING=hey there; from run.yaml", "ret prog 3", "program /ret returned 3",
            "[I/0 dhcp]: Unicasting DHCPRELEASE message with xid: [1016060219] from client: 192.168.122.15 to server: 192.168.122.1",
            "VFS: unmounting /dev", "VFS: unmounting /", "ROFS: spent 1.81 ms reading from disk", "ROFS: hit ratio is 93.10%", "Powering off.",
        };

        [Fact]
        public void TheUserReadsWhatOsvPrintsWithoutVerbose()
        {
            var filter = new VerboseConsoleFilter();
            var shown = VerboseRun.Select(filter.Filter).Where(l => l != null).ToArray();
            Assert.Equal(new[] { "OSv v0.57.0-398-g0e34e4dc", "eth0: 192.168.122.15", "Booted up in 0.00 ms", "Cmdline: /ret 3", "ret prog 3" }, shown);
        }

        [Fact]
        public void AProgramsOwnLinesPassEvenWhenTheyLookLikeBootChatter()
        {
            var filter = new VerboseConsoleFilter();
            filter.Filter("Cmdline: /x");
            Assert.Equal("net: the program's own line", filter.Filter("net: the program's own line"));
            Assert.Equal("VFS: mounting is what I print", filter.Filter("VFS: mounting is what I print"));
            // A program's unfinished line with the status appended to it keeps its text, for what follows.
            Assert.Null(filter.Filter("no newlineprogram /x returned 2"));
            Assert.Equal("no newline", filter.Flush());
            Assert.Null(filter.Flush());
        }

        [Fact]
        public void ADebugLineInTheMiddleOfAProgramsLineIsTakenOutAndTheLineMended()
        {
            // As the real kernel printed it: "arg[3]=<a!b>" with OSv's random driver cutting in.
            var filter = new VerboseConsoleFilter();
            var shown = new[] { "Cmdline: /show.so a!b", "arg[2]=<hey!>", "arg[3]=<a!brandom: device unblocked.", ">", "arg[4]=<!x>", "half[I/0 dhcp]: Unicasting DHCPRELEASE", " done" }
                .Select(filter.Filter).Where(l => l != null).ToArray();
            Assert.Equal(new[] { "Cmdline: /show.so a!b", "arg[2]=<hey!>", "arg[3]=<a!b>", "arg[4]=<!x>", "half done" }, shown);
        }

        [Fact]
        public void FailureLinesBeforeTheCommandLinePass()
        {
            var filter = new VerboseConsoleFilter();
            Assert.Equal("Failed to load object: /x. Powering off.", filter.Filter("Failed to load object: /x. Powering off."));
        }

        [Theory]
        [InlineData("program /ret returned 3", 3, "program /ret returned 3", "")]
        [InlineData("program /usr/bin/my prog returned -1", -1, "program /usr/bin/my prog returned -1", "")]
        [InlineData("program exited with status 4", 4, "program exited with status 4", "")]
        [InlineData("program exited with status 0", 0, "program exited with status 0", "")]
        [InlineData("partial program exited with status 256", 256, "program exited with status 256", "partial ")]
        [InlineData("program exited with status 4294967297", 1, "program exited with status 4294967297", "")]
        public void StatusLines(string line, int status, string statusLine, string before)
        {
            Assert.True(GuestExitStatus.TryParse(line, out int s, out string text, out string b));
            Assert.Equal(status, s);
            Assert.Equal(statusLine, text);
            Assert.Equal(before, b);
        }

        [Theory]
        [InlineData("program /x returned")]
        [InlineData("my program returned 3 items")]
        [InlineData("ret prog 3")]
        public void NotStatusLines(string line) => Assert.False(GuestExitStatus.TryParse(line, out _, out _, out _));

        [Fact]
        public void TheFirstNonZeroStatusIsTheInstances()
        {
            var scanner = new GuestConsoleScanner();
            foreach (string line in new[] { "program exited with status 0", "program /a returned 5", "program /b returned 6" })
            {
                scanner.Feed(line);
            }
            Assert.Equal(5, scanner.Report.Status);
            Assert.Equal("program /a returned 5", scanner.Report.StatusLine);
        }

        [Fact]
        public void OutcomesFollowOneOrder()
        {
            var none = new GuestConsoleReport(null, null, null);
            var three = new GuestConsoleReport(null, 3, "program /ret returned 3");
            var failed = new GuestConsoleReport(new GuestFailure(ErrorIds.GuestProgramNotFound, "Failed to load object: /x. Powering off."), null, null);

            var o = InstanceOutcome.Ended(null, null, false, none, reportsStatus: true);
            Assert.Equal((InstanceState.Stopped, (int?)0), (o.State, o.ExitCode));
            o = InstanceOutcome.Ended(null, null, false, none, reportsStatus: false);
            Assert.Equal((InstanceState.Stopped, (int?)null), (o.State, o.ExitCode));
            o = InstanceOutcome.Ended(null, null, false, three, true);
            Assert.Equal((InstanceState.Failed, (int?)3, ErrorIds.GuestProgramFailed, "program /ret returned 3"), (o.State, o.ExitCode, o.FailureId, o.Reason));
            o = InstanceOutcome.Ended(null, null, true, none, true);
            Assert.Equal((InstanceState.Stopped, (int?)null), (o.State, o.ExitCode));
            o = InstanceOutcome.Ended(null, "QEMU was killed by signal 9 (SIGKILL)", false, none, true);
            Assert.Equal((InstanceState.Crashed, ErrorIds.QemuCrashed), (o.State, o.FailureId));
            o = InstanceOutcome.Ended(null, "QEMU was killed by signal 9 (SIGKILL)", true, none, true);
            Assert.Equal(InstanceState.Stopped, o.State);
            o = InstanceOutcome.Ended(null, null, false, failed, true);
            Assert.Equal((InstanceState.Failed, "GuestProgramNotFound"), (o.State, o.FailureId));
            o = InstanceOutcome.Ended("QEMU did not start instance 'x': Could not set up host forwarding rule", null, false, none, true);
            Assert.Equal((InstanceState.Failed, ErrorIds.QemuFailed), (o.State, o.FailureId));
            Assert.Equal("QEMU was killed by signal 9 (SIGKILL)", InstanceOutcome.DescribeHypervisorExit("QEMU", 137, null));
            Assert.Equal("QEMU exited with status 1: bad", InstanceOutcome.DescribeHypervisorExit("QEMU", 1, "bad"));
            Assert.Null(InstanceOutcome.DescribeHypervisorExit("QEMU", 0, "x"));
        }
    }
}
