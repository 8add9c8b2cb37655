using System;
using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// The loader options every run puts in front of the command line (in the overlay or in
    /// <c>-append</c>, never in the image): <c>--power-off-on-abort</c>, so a program that aborts ends its
    /// instance instead of halting OSv for ever (loader.cc, <c>opt_power_off_on_abort</c>), and
    /// <c>--verbose</c>, so the program's exit status reaches the console (<see cref="GuestExitStatus"/>),
    /// unless the host reads it from OSv's kernel log (<see cref="KernelLogSymbols"/>): then the console
    /// holds the program's lines and OSv's usual ones, nothing OsvPS turned on.
    /// </summary>
    internal static class GuestCommandLines
    {
        /// <summary>
        /// The loader option that keeps OSv up once the command line's programs have returned, logging "main() returned."
        /// to the kernel log (loader.cc, <c>opt_noshutdown</c>): how a libvirt instance's end is read from guest memory
        /// before libvirt discards it. exit() still powers off (runtime.cc).
        /// </summary>
        public const string NoShutdown = "--noshutdown";

        /// <summary>
        /// The command line the guest is given for <paramref name="commandLine"/>; <paramref name="staysUp"/> adds <see cref="NoShutdown"/>,
        /// and <paramref name="network"/> the loader options of an OsvPS network (<c>--ip=... --defaultgw=... --nameserver=...</c>).
        /// </summary>
        public static string For(string commandLine, bool verbose = true, bool staysUp = false, string? network = null)
        {
            if (commandLine.Length == 0)
            {
                return commandLine; // an image whose line cannot be replaced keeps its own
            }
            var options = LeadingOptions(commandLine);
            var added = new List<string>();
            if (!options.Contains(GuestFailureDetector.PowerOffOnAbort))
            {
                added.Add(GuestFailureDetector.PowerOffOnAbort);
            }
            if (verbose && !options.Contains(GuestExitStatus.VerboseOption))
            {
                added.Add(GuestExitStatus.VerboseOption);
            }
            if (staysUp && !options.Contains(NoShutdown))
            {
                added.Add(NoShutdown);
            }
            if (!string.IsNullOrEmpty(network))
            {
                added.Add(network!);
            }
            return added.Count == 0 ? commandLine : string.Join(" ", added) + " " + commandLine;
        }

        /// <summary>
        /// True when OsvPS, not the user, turned --verbose on for <paramref name="guestCommandLine"/>'s
        /// run: then the debug lines are kept out of what the user reads.
        /// </summary>
        public static bool HidesDebugLines(string guestCommandLine, string commandLine)
            => LeadingOptions(guestCommandLine).Contains(GuestExitStatus.VerboseOption) && !LeadingOptions(commandLine).Contains(GuestExitStatus.VerboseOption);

        /// <summary>The /run files the command line runs (<c>runscript /run/x;</c> as a command, after the loader options or a ';' or '&amp;'), in order.</summary>
        public static IReadOnlyList<string> RunscriptFiles(string guestCommandLine)
            => System.Text.RegularExpressions.Regex.Matches(guestCommandLine, @"(?:^(?>(?:\s*-\S+)*)|[;&])\s*runscript\s+(/run/[^;&\s""]+)")
                .Cast<System.Text.RegularExpressions.Match>().Select(m => m.Groups[1].Value).ToList();

        /// <summary>True when the guest prints its programs' exit statuses (it runs with --verbose).</summary>
        public static bool ReportsExitStatus(string guestCommandLine) => LeadingOptions(guestCommandLine).Contains(GuestExitStatus.VerboseOption);

        // The loader options: leading tokens that start with '-' (loader.cc reads them before the commands).
        private static HashSet<string> LeadingOptions(string commandLine)
            => new HashSet<string>(commandLine.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).TakeWhile(t => t.StartsWith("-", StringComparison.Ordinal)), StringComparer.Ordinal);
    }
}
