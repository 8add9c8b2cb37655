using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Instances
{
    /// <summary>A program that did not do its job inside the guest, as OSv's console said it.</summary>
    internal sealed class GuestFailure
    {
        public GuestFailure(ErrorId errorId, string reason)
        {
            ErrorId = errorId;
            Reason = reason;
        }

        /// <summary>A stable id for the kind of failure (<c>GuestProgramNotFound</c>, <c>GuestSymbolNotFound</c>, ...).</summary>
        public ErrorId ErrorId { get; }
        /// <summary>OSv's own line.</summary>
        public string Reason { get; }

        public override string ToString() => Reason;
    }

    /// <summary>
    /// Recognises OSv's failure lines on the console, fed one line at a time. The words come from
    /// OSv's sources (v0.57): loader.cc ("Failed to load object: X. Powering off.", "Failed to parse
    /// command line.", "empty command line"), core/app.cc (launch errors), core/elf.cc ("failed
    /// looking up symbol"), core/mmu.cc ("page fault outside application"), runtime.cc ("Assertion
    /// failed", "Aborted", and the "[backtrace]" every abort prints after its message) and
    /// core/commands.cc (runscript errors). Exit statuses are read apart, by <see cref="GuestExitStatus"/>.
    /// </summary>
    internal sealed class GuestFailureDetector
    {
        /// <summary>
        /// The loader option that makes an aborting OSv power off instead of halting forever, so that a
        /// failed guest ends by itself (loader.cc, <c>opt_power_off_on_abort</c>).
        /// </summary>
        public const string PowerOffOnAbort = "--power-off-on-abort";

        // Longer console lines are cut to this many characters before they are matched or kept.
        private const int MaxLine = 4096;

        private static readonly (string Text, bool Start, ErrorId Id)[] Patterns =
        {
            ("Failed to load object: ", true, ErrorIds.GuestProgramNotFound),
            ("failed looking up symbol ", false, ErrorIds.GuestSymbolNotFound),
            ("Failed looking up main", true, ErrorIds.GuestProgramInvalid),
            ("Failed to create the main thread", true, ErrorIds.GuestProgramFailed),
            ("collides with kernel", false, ErrorIds.GuestProgramInvalid),
            ("page fault outside application", true, ErrorIds.GuestPageFault),
            ("Assertion failed: ", true, ErrorIds.GuestAssertionFailed),
            ("Stack overflow detected", false, ErrorIds.GuestAborted),
            ("Failed to parse command line.", true, ErrorIds.GuestCommandLineInvalid),
            ("This image has an empty command line.", true, ErrorIds.GuestCommandLineInvalid),
            ("Failed expanding runscript", true, ErrorIds.GuestCommandLineInvalid),
            ("Failed to open runscript file", true, ErrorIds.GuestCommandLineInvalid),
            ("unrecognised option '", true, ErrorIds.GuestCommandLineInvalid),
            ("unrecognized option: ", true, ErrorIds.GuestCommandLineInvalid),
            ("expected 'KEY(?)=value'", true, ErrorIds.GuestCommandLineInvalid),
        };

        private string lastLine = "";

        /// <summary>True when <paramref name="line"/> alone is one of OSv's failure lines.</summary>
        public static bool IsFailureLine(string line) => new GuestFailureDetector().Feed(line) != null;

        /// <summary>The first failure seen, or null.</summary>
        public GuestFailure? Failure { get; private set; }

        /// <summary>Looks at one console line; returns the failure when this line is the first to show one.</summary>
        public GuestFailure? Feed(string line)
        {
            if (Failure != null)
            {
                return null;
            }
            string text = (line.Length > MaxLine ? line.Substring(0, MaxLine) : line).Trim();
            if (text.Length == 0)
            {
                return null;
            }
            foreach (var (pattern, start, id) in Patterns)
            {
                if (start ? text.StartsWith(pattern, StringComparison.Ordinal) : text.IndexOf(pattern, StringComparison.Ordinal) >= 0)
                {
                    return Failure = new GuestFailure(id, text);
                }
            }
            if (text == "Aborted" || text == "[backtrace]" || text == "Halting.")
            {
                // abort() prints its message, then the backtrace: the message is the reason.
                return Failure = new GuestFailure(ErrorIds.GuestAborted, text == "Aborted" || lastLine.Length == 0 ? text : lastLine);
            }
            lastLine = text;
            return null;
        }

        /// <summary>Reads a console log from its start and returns the first failure in it (null when none or no log).</summary>
        public static GuestFailure? Scan(string consolePath) => GuestConsoleReport.Scan(consolePath).Failure;
    }

    /// <summary>
    /// Follows a running instance's console for its reader and watches it for OSv's failure lines.
    /// After a failure the guest gets a moment to print the rest (a backtrace), then is due to stop.
    /// </summary>
    internal sealed class GuestWatch : IDisposable
    {
        /// <summary>How long a failed guest may go on printing before it is stopped.</summary>
        public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

        private readonly ConsoleFollower follower;
        private readonly GuestConsoleScanner scanner = new GuestConsoleScanner();
        private Stopwatch? sinceFailure;

        public GuestWatch(ConsoleFollower follower) => this.follower = follower;

        /// <summary>The first failure seen, or null.</summary>
        public GuestFailure? Failure => scanner.Failure;

        /// <summary>What the console said so far: failure and exit status.</summary>
        public GuestConsoleReport Report => scanner.Report;

        /// <summary>True once a failure was seen and its grace has passed.</summary>
        public bool StopDue => sinceFailure != null && sinceFailure.Elapsed >= Grace;

        /// <summary>The console lines that arrived since the last call.</summary>
        public List<string> Poll() => Watch(follower.Poll());

        /// <summary>Everything left on the console (after QEMU has ended).</summary>
        public List<string> Drain() => Watch(follower.Drain());

        private List<string> Watch(List<string> lines)
        {
            foreach (string line in lines)
            {
                if (scanner.Feed(line) != null)
                {
                    sinceFailure = Stopwatch.StartNew();
                }
            }
            return lines;
        }

        public void Dispose() => follower.Dispose();
    }
}
