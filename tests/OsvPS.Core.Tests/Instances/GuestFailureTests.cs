using System.IO;
using OsvPS.Core.Instances;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    public class GuestFailureTests
    {
        // Lines as OSv v0.57 prints them (seen on a real OSv build, or quoted from its sources).
        [Theory]
        [InlineData("Failed to load object: /echo.so. Powering off.", "GuestProgramNotFound")]
        [InlineData("/nosym: failed looking up symbol tdelete", "GuestSymbolNotFound")]
        [InlineData("page fault outside application, addr: 0x0000000000000000", "GuestPageFault")]
        [InlineData("Assertion failed: x (core/a.cc: f: 12)", "GuestAssertionFailed")]
        [InlineData("Aborted", "GuestAborted")]
        [InlineData("This image has an empty command line. Nothing to run.", "GuestCommandLineInvalid")]
        [InlineData("Failed to open runscript file '/run/nope'.", "GuestCommandLineInvalid")]
        [InlineData("unrecognised option '--bogus'", "GuestCommandLineInvalid")]
        public void OsvFailureLinesAreRecognised(string line, string id)
        {
            var detector = new GuestFailureDetector();
            Assert.Null(detector.Feed("OSv v0.57.0-398-g0e34e4dc"));
            var failure = detector.Feed(line + "\r");
            Assert.NotNull(failure);
            Assert.Equal(id, failure!.ErrorId);
            Assert.Equal(line, failure.Reason);
            Assert.Null(detector.Feed("Failed to load object: /other. Powering off.")); // the first one counts
            Assert.Same(failure, detector.Failure);
        }

        [Fact]
        public void AnAbortMessageIsTheLineBeforeItsBacktrace()
        {
            var detector = new GuestFailureDetector();
            detector.Feed("before");
            detector.Feed("something unusual happened");
            detector.Feed("");
            var failure = detector.Feed("[backtrace]");
            Assert.Equal("GuestAborted", failure!.ErrorId);
            Assert.Equal("something unusual happened", failure.Reason);
        }

        [Theory]
        [InlineData("Cmdline: runscript /run/default;")]
        [InlineData("runscript expand fn='/run/default' line=0 '/hello'")]
        [InlineData("Hello from OSv: failed is just a word here")]
        [InlineData("eth0: 192.168.122.15")]
        public void OrdinaryLinesAreNotFailures(string line)
            => Assert.Null(new GuestFailureDetector().Feed(line));

        [Fact]
        public void ScanReadsALogWithAnEndlessLineInBoundedPieces()
        {
            using var dir = new TempDir();
            string log = dir.Combine("console.log");
            using (var w = new StreamWriter(log))
            {
                w.Write("OSv v0.57\n");
                w.Write(new string('x', 3 * ConsoleFollower.MaxLineChars));
                w.Write("\nFailed to load object: /x. Powering off.\n");
            }
            var failure = GuestFailureDetector.Scan(log);
            Assert.Equal("Failed to load object: /x. Powering off.", failure!.Reason);
            Assert.Null(GuestFailureDetector.Scan(dir.Combine("none.log")));
        }
    }
}
