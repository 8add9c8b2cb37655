using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// How a guest program's exit status reaches the host. OSv never reports it to the hypervisor:
    /// QEMU exits 0 after every power-off. It does print it, but only as a debug line, and debug lines
    /// reach the console only under the loader option <c>--verbose</c> (core/debug.cc: <c>debug()</c>
    /// writes to the console when <c>verbose</c> is set). Two lines carry it:
    /// <list type="bullet">
    /// <item>core/app.cc, <c>application::run_main</c>: <c>program /x returned N</c> when main returned a
    /// non-zero N (nothing when it returned 0);</item>
    /// <item>runtime.cc, <c>exit()</c>: <c>program exited with status N</c> for every exit(), before OSv
    /// powers off (exit ends the whole guest, core/shutdown.cc).</item>
    /// </list>
    /// So every run gets <c>--verbose</c>, the status is read from these lines, and the debug chatter
    /// --verbose adds (boot messages, DHCP, unmounting) is kept out of what the user reads.
    /// </summary>
    internal static class GuestExitStatus
    {
        /// <summary>The loader option that turns OSv's debug lines on (loader.cc, <c>opt_verbose</c>).</summary>
        public const string VerboseOption = "--verbose";

        private static readonly Regex Returned = new Regex(@"program (?<command>\S.*?) returned (?<status>-?\d{1,10})$", RegexOptions.CultureInvariant);
        private static readonly Regex Exited = new Regex(@"program exited with status (?<status>-?\d{1,19})$", RegexOptions.CultureInvariant);

        /// <summary>
        /// When <paramref name="line"/> ends with one of the status lines, its status and the line's own
        /// output before it (a program's unfinished line that the debug line was appended to).
        /// </summary>
        public static bool TryParse(string line, out int status, out string statusLine, out string before)
        {
            var m = Returned.Match(line);
            if (!m.Success)
            {
                m = Exited.Match(line);
            }
            if (!m.Success || !long.TryParse(m.Groups["status"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                status = 0;
                statusLine = before = "";
                return false;
            }
            // exit() takes an int that OSv prints as a long: what a Linux parent would see is its low byte.
            status = value >= int.MinValue && value <= int.MaxValue ? (int)value : (int)(value & 0xff);
            statusLine = m.Value;
            before = line.Substring(0, m.Index);
            return true;
        }
    }

    /// <summary>
    /// Keeps what <c>--verbose</c> adds to OSv's console out of what the user reads: before the
    /// <c>Cmdline:</c> line, the boot chatter of the drivers and filesystems (lines OSv prints only under
    /// --verbose); after it, the status lines and the shutdown's DHCP release, unmounting and
    /// <c>Powering off.</c>. Everything a guest prints without --verbose passes. OSv's console is not
    /// line-atomic: a debug line can land in the middle of a program's line (seen on v0.57:
    /// <c>arg[3]=&lt;a!brandom: device unblocked.</c>, then <c>&gt;</c>), so a line that ends in a debug
    /// message keeps its start for the next line, and the program's line is put back together.
    /// </summary>
    internal sealed class VerboseConsoleFilter
    {
        // Boot lines printed with or without --verbose: the banner, the address, the boot time, the command line.
        private static readonly Regex BootChatter = new Regex(
            @"^(?:\d+ CPUs detected|Firmware vendor: |NUMA: |bsd: |VFS: |net: |vga: |devfs: |random: |ROFS: |zfs: |acpi|pci|Auto-discovering the root filesystem"
            + @"|eth\d+: ethernet address|virtio[\w-]*: |\[[A-Z]/\d+ [\w-]+\]: |[a-z][a-z0-9_-]*: (?!\d{1,3}\.\d{1,3}\.))",
            RegexOptions.CultureInvariant);

        // Whole debug lines after the command line: the loader's as it runs commands (loader.cc: env set by
        // runscript, chdir, "Running from"), and the shutdown's (DHCP release, unmounting, "Powering off.").
        private static readonly Regex RunChatter = new Regex(
            @"^(?:\[[A-Z]/\d+ dhcp\]: |VFS: unmounting |ROFS: |Powering off\.$|Setting in environment: |Chdir to: '|chdir done$|Running from \S+: |Requested termination of |console=)",
            RegexOptions.CultureInvariant);

        // Debug messages that may end a line a program had not finished (bsd/sys/dev/random/randomdev_soft.cc,
        // core/dhcp.cc, core/app.cc, runtime.cc).
        private static readonly Regex DebugTail = new Regex(
            @"(?:random: device unblocked\.|\[[A-Z]/\d+ dhcp\]: .*|program \S.*? returned -?\d{1,10}|program exited with status -?\d{1,19})$", RegexOptions.CultureInvariant);

        private bool booted;
        private string pending = "";

        /// <summary>The line the user sees for <paramref name="line"/>, or null when it is chatter (or held to be continued).</summary>
        public string? Filter(string line)
        {
            if (!booted)
            {
                if (line.StartsWith("Cmdline: ", StringComparison.Ordinal))
                {
                    booted = true;
                    return line;
                }
                if (BootChatter.IsMatch(line) && !GuestFailureDetector.IsFailureLine(line))
                {
                    return null;
                }
                return line;
            }
            var tail = DebugTail.Match(line);
            if (tail.Success)
            {
                pending += line.Substring(0, tail.Index);
                return null;
            }
            if (pending.Length == 0 && RunChatter.IsMatch(line))
            {
                return null;
            }
            string shown = pending + line;
            pending = "";
            return shown;
        }

        /// <summary>What is still held when the console ends (a program's last, unfinished line), or null.</summary>
        public string? Flush()
        {
            string held = pending;
            pending = "";
            return held.Length > 0 ? held : null;
        }
    }

    /// <summary>What an ended guest's console says: the first failure OSv printed and the programs' exit status.</summary>
    internal sealed class GuestConsoleReport
    {
        public GuestConsoleReport(GuestFailure? failure, int? status, string? statusLine)
        {
            Failure = failure;
            Status = status;
            StatusLine = statusLine;
        }

        /// <summary>OSv's own failure line (a missing program, symbol, an abort), or null.</summary>
        public GuestFailure? Failure { get; }
        /// <summary>The first non-zero status a program ended with; 0 when only zeros were seen; null when none was printed.</summary>
        public int? Status { get; }
        /// <summary>OSv's line for <see cref="Status"/> (<c>program /x returned 3</c>).</summary>
        public string? StatusLine { get; }

        /// <summary>Reads a whole console log; an absent log says nothing.</summary>
        public static GuestConsoleReport Scan(string consolePath)
        {
            if (!File.Exists(consolePath))
            {
                return new GuestConsoleReport(null, null, null);
            }
            var scanner = new GuestConsoleScanner();
            using (var follower = new ConsoleFollower(consolePath))
            {
                foreach (string line in follower.Drain())
                {
                    scanner.Feed(line);
                }
            }
            return scanner.Report;
        }
    }

    /// <summary>Feeds console lines to the failure detector and the status reader at once.</summary>
    internal sealed class GuestConsoleScanner
    {
        private readonly GuestFailureDetector detector = new GuestFailureDetector();
        private int? status;
        private string? statusLine;

        /// <summary>Looks at one line; returns the failure when this line is the first to show one.</summary>
        public GuestFailure? Feed(string line)
        {
            if (GuestExitStatus.TryParse(line, out int code, out string text, out _) && (status == null || status == 0))
            {
                status = code;
                statusLine = text;
            }
            return detector.Feed(line);
        }

        public GuestFailure? Failure => detector.Failure;

        public GuestConsoleReport Report => new GuestConsoleReport(detector.Failure, status, statusLine);
    }
}

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// The console as the user reads it: OSv's debug chatter kept out when OsvPS turned --verbose on (a
    /// <see cref="VerboseConsoleFilter"/>), and the one line OSv's runscript (core/commands.cc) prints for each line of a
    /// /run file the command line names (<c>runscript expand fn='/run/x' line=0 '...'</c>, showing OSv's quoting of a
    /// boot command the user wrote otherwise). Each such echo is hidden once, the first time it comes, as OSv prints it
    /// before the command runs; a program printing the same words later is shown as written.
    /// </summary>
    internal sealed class ConsoleView
    {
        private readonly VerboseConsoleFilter? verbose;
        private readonly List<string> echoes;

        public ConsoleView(bool hideDebugLines, IEnumerable<string> runscriptFiles)
        {
            verbose = hideDebugLines ? new VerboseConsoleFilter() : null;
            echoes = runscriptFiles.Select(f => $"runscript expand fn='{f}' line=").ToList();
        }

        /// <summary>The line the user sees for <paramref name="line"/>, or null when OsvPS keeps it out.</summary>
        public string? Filter(string line)
        {
            string? shown = verbose == null ? line : verbose.Filter(line);
            if (shown == null || echoes.Count == 0)
            {
                return shown;
            }
            int echo = echoes.FindIndex(e => shown.StartsWith(e, StringComparison.Ordinal));
            if (echo < 0)
            {
                return shown;
            }
            echoes.RemoveAt(echo);
            return null;
        }

        /// <summary>What is still held when the console ends, or null.</summary>
        public string? Flush() => verbose?.Flush();
    }
}
