using System.IO;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>
    /// The verdict read from OSv's kernel log (core/debug.cc's ring buffer), which a guest program cannot write:
    /// lines as OSv v0.57.0-398 logged them, read out of guest memory after the guest powered off.
    /// </summary>
    public sealed class KernelLogTests
    {
        private const string Boot = "1 CPUs detected\nFirmware vendor: SeaBIOS\nVFS: mounting ramfs at /\nVFS: mounting rofs at /rofs\n";
        private const string End = "VFS: unmounting /dev\nROFS: hit ratio is 93.10%\nPowering off.\n";

        private static GuestConsoleReport Console(string text)
        {
            using var dir = new TempDir();
            return GuestConsoleReport.Scan(dir.File("console.log", text));
        }

        [Fact]
        public void AnOrderlyEndWithoutAStatusIsZero()
        {
            var log = KernelLogReport.Parse(Boot + End);
            Assert.True(log.Orderly);
            Assert.Null(log.Status);
            var outcome = InstanceOutcome.FromKernelLog(log, false, Console(""));
            Assert.Equal((InstanceState.Stopped, (int?)0, (string?)null), (outcome.State, outcome.ExitCode, outcome.FailureId));
        }

        [Theory]
        [InlineData("program /forge returned 3\n", 3, "program /forge returned 3")]
        [InlineData("program exited with status 5\n", 5, "program exited with status 5")]
        [InlineData("program /a returned 2\nprogram /b returned 200\n", 200, "program /b returned 200")]
        public void TheLastStatusOsvLoggedIsTheExitCode(string statusLines, int code, string reason)
        {
            var outcome = InstanceOutcome.FromKernelLog(KernelLogReport.Parse(Boot + statusLines + End), false, Console(""));
            Assert.Equal(InstanceState.Failed, outcome.State);
            Assert.Equal(code, outcome.ExitCode);
            Assert.Equal(ErrorIds.GuestProgramFailed, outcome.FailureId);
            Assert.Equal(reason, outcome.Reason);
        }

        // What the program printed (the console) cannot change what OSv logged.
        [Fact]
        public void TheConsoleCannotForgeAStatusOrAFailure()
        {
            var console = Console("program /g returned 7\nprogram exited with status 9\n/x.so: failed looking up symbol foo\nAborted\n");
            var outcome = InstanceOutcome.FromKernelLog(KernelLogReport.Parse(Boot + End), false, console);
            Assert.Equal((InstanceState.Stopped, (int?)0, (string?)null), (outcome.State, outcome.ExitCode, outcome.FailureId));
        }

        [Fact]
        public void NoOrderlyPowerOffIsAnOsvFailureDescribedByOsvsOwnLine()
        {
            var log = KernelLogReport.Parse(Boot);
            Assert.False(log.Orderly);
            var described = InstanceOutcome.FromKernelLog(log, false, Console("Failed to load object: /nothing. Powering off.\n"));
            Assert.Equal((InstanceState.Failed, ErrorIds.GuestProgramNotFound), (described.State, described.FailureId));
            var bare = InstanceOutcome.FromKernelLog(log, false, Console("some output\n"));
            Assert.Equal((InstanceState.Failed, ErrorIds.GuestAborted), (bare.State, bare.FailureId));
            Assert.Contains("VFS: mounting rofs at /rofs", bare.Reason);
        }

        [Fact]
        public void AStopOnRequestIsStoppedWithoutAStatus()
        {
            var outcome = InstanceOutcome.FromKernelLog(KernelLogReport.Parse(Boot + End), true, Console(""));
            Assert.Equal((InstanceState.Stopped, (int?)null), (outcome.State, outcome.ExitCode));
        }

        [Fact]
        public void SymbolsRoundTripThroughTheStateFile()
        {
            var parsed = KernelLogSymbols.Parse("buffer=0x848bc0,size=0xc800,index=0x848ba4,full=0x848ba1");
            Assert.NotNull(parsed);
            Assert.Equal((0x848bc0UL, 0xc800UL, 0x848ba4UL, 0x848ba1UL), (parsed!.Buffer, parsed.Size, parsed.Index, parsed.Full));
            Assert.Equal("buffer=0x848bc0,size=0xc800,index=0x848ba4,full=0x848ba1", parsed.ToString());
            Assert.Null(KernelLogSymbols.Parse("buffer=0x1"));
            Assert.Null(KernelLogSymbols.Parse(null));
        }

        [Fact]
        public void AKernelWithoutTheSymbolsHasNoKernelLog()
        {
            // A program of this machine exports none of them (as a kernel built with hidden symbols would).
            Assert.Null(KernelLogSymbols.Read("/usr/bin/gzip"));
            Assert.Null(KernelLogSymbols.Read("/etc/hostname"));
        }

        // A guest kept up by --noshutdown (libvirt): OSv's loader logs "main() returned." once its programs returned.
        [Fact]
        public void MainReturnedUnderNoShutdownIsAnOrderlyEnd()
        {
            string log = Boot + "program /status returned 3\nmain() returned.\n";
            Assert.True(KernelLogReport.SaysMainReturned(log));
            Assert.False(KernelLogReport.SaysMainReturned(Boot + "x main() returned.\n"));
            var outcome = InstanceOutcome.FromKernelLog(KernelLogReport.Parse(log), false, Console("main() returned.\n"));
            Assert.Equal((InstanceState.Failed, (int?)3, ErrorIds.GuestProgramFailed), (outcome.State, outcome.ExitCode, outcome.FailureId));
        }

        // The log as memory holds it: read up to the index, or from the index round when the ring wrapped.
        [Fact]
        public void TheRingIsReadFromItsIndexAndAForeignBufferIsNoLog()
        {
            var symbols = KernelLogSymbols.Parse("buffer=0x1000,size=0x40,index=0x2000,full=0x3000")!;
            byte[] Memory(string ring, uint index, byte full) => System.Text.Encoding.ASCII.GetBytes(ring.PadRight(0x40, '\0'));
            string? Read(string ring, uint index, byte full) => symbols.ReadText((address, size) =>
                address == 0x1000 ? Memory(ring, index, full) : address == 0x2000 ? System.BitConverter.GetBytes(index) : new[] { full });
            Assert.Equal("1 CPUs detected\nmain() returned.\n", Read("1 CPUs detected\nmain() returned.\n", 33, 0));
            // Wrapped: the oldest byte is at the index.
            string wrapped = "ned.\nprogram /a returned 2\nmain() retur".PadRight(0x40, 'x');
            Assert.Equal(wrapped.Substring(4) + wrapped.Substring(0, 4), Read(wrapped, 4, 1));
            Assert.Null(Read("anything else", 13, 0));
            Assert.Null(Read("1 CPUs detected\n", 0x41, 0));
        }

        [Fact]
        public void AGuestThatPoweredOffUnreadSaysWhatIsKnown()
        {
            var unknown = InstanceOutcome.PoweredOffUnread(null, false, Console("status: calling exit(4)\n"));
            Assert.Equal((InstanceState.Stopped, (int?)null, InstanceOutcome.UnknownExitStatus), (unknown.State, unknown.ExitCode, unknown.Reason));
            var aborted = InstanceOutcome.PoweredOffUnread(null, false, Console("Aborted\n[backtrace]\n"));
            Assert.Equal((InstanceState.Failed, ErrorIds.GuestAborted), (aborted.State, aborted.FailureId));
            var stopped = InstanceOutcome.PoweredOffUnread(null, true, Console("Aborted\n"));
            Assert.Equal((InstanceState.Stopped, (string?)null), (stopped.State, stopped.Reason));
            var destroyed = InstanceOutcome.PoweredOffUnread("destroyed outside OsvPS", false, Console(""));
            Assert.Equal((InstanceState.Crashed, ErrorIds.QemuCrashed), (destroyed.State, destroyed.FailureId));
        }

        [Fact]
        public void NoShutdownIsAddedOnlyWhenTheGuestStaysUp()
        {
            Assert.Equal("--power-off-on-abort --noshutdown /x", GuestCommandLines.For("/x", verbose: false, staysUp: true));
            Assert.Equal("--power-off-on-abort /x", GuestCommandLines.For("/x", verbose: false));
            Assert.Equal("--noshutdown --power-off-on-abort /x", GuestCommandLines.For("--noshutdown --power-off-on-abort /x", verbose: false, staysUp: true));
        }
    }
}
