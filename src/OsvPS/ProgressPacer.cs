using System;
using System.Diagnostics;
using System.Management.Automation;

namespace OsvPS
{
    /// <summary>
    /// Write-Progress for one activity the way PowerShell users know it: a status, the percent done and
    /// the seconds left where they can be known, at most four records a second, a Completed record at the
    /// end of what was shown, and nothing at all when no host can show progress (a runspace made without
    /// one). $ProgressPreference and -ProgressAction are honoured by WriteProgress itself.
    /// </summary>
    public sealed class ProgressPacer
    {
        private const long IntervalMs = 250;
        private readonly Cmdlet cmdlet;
        private readonly int activityId;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long lastShown = -IntervalMs;
        private bool shown;

        public ProgressPacer(PSCmdlet cmdlet, int activityId, string activity)
        {
            this.cmdlet = cmdlet;
            this.activityId = activityId;
            Activity = activity;
            Enabled = CanShow(cmdlet);
        }

        /// <summary>
        /// True when the cmdlet runs with a host that can show progress. A runspace made without a host
        /// gets PowerShell's "Default Host", which has no user interface of its own (its RawUI answers
        /// with empty sizes); no record is written there.
        /// </summary>
        public static bool CanShow(PSCmdlet cmdlet)
        {
            var host = cmdlet.Host;
            return host?.UI?.RawUI != null && !string.Equals(host.Name, "Default Host", StringComparison.Ordinal);
        }

        public string Activity { get; set; }

        public bool Enabled { get; }

        /// <summary>Time since the activity began.</summary>
        public TimeSpan Elapsed => clock.Elapsed;

        /// <summary>
        /// Shows <paramref name="status"/>; with <paramref name="fraction"/> (0 to 1) the percent and, once
        /// a second has passed, the seconds left at the pace so far, unless <paramref name="secondsLeft"/>
        /// says them. Records closer than a quarter second to the last one are dropped unless
        /// <paramref name="always"/>.
        /// </summary>
        public void Report(string status, double? fraction = null, string? operation = null, double? secondsLeft = null, bool always = false)
        {
            if (!Enabled)
            {
                return;
            }
            long now = clock.ElapsedMilliseconds;
            if (!always && now - lastShown < IntervalMs)
            {
                return;
            }
            lastShown = now;
            var record = new ProgressRecord(activityId, Activity, status);
            if (operation != null)
            {
                record.CurrentOperation = operation;
            }
            if (fraction.HasValue)
            {
                double f = Math.Max(0, Math.Min(1, fraction.Value));
                record.PercentComplete = (int)(f * 100);
                if (secondsLeft == null && f > 0 && now >= 1000)
                {
                    secondsLeft = now / 1000.0 * (1 - f) / f;
                }
            }
            if (secondsLeft.HasValue)
            {
                record.SecondsRemaining = (int)Math.Ceiling(Math.Max(0, Math.Min(int.MaxValue, secondsLeft.Value)));
            }
            cmdlet.WriteProgress(record);
            shown = true;
        }

        /// <summary>Ends the activity's bar, when one was shown.</summary>
        public void Complete(string status = "Done")
        {
            if (!Enabled || !shown)
            {
                return;
            }
            cmdlet.WriteProgress(new ProgressRecord(activityId, Activity, status) { RecordType = ProgressRecordType.Completed });
            shown = false;
        }

        /// <summary>
        /// Progress of byte transfers, one bar for each piece (a file, a blob) named by its activity: the
        /// MiB done of the total, ended when the piece is whole.
        /// </summary>
        public static Action<string, long, long?> ForTransfers(PSCmdlet cmdlet, int activityId)
        {
            ProgressPacer? pacer = null;
            return (activity, done, total) =>
            {
                if (pacer == null || pacer.Activity != activity)
                {
                    pacer?.Complete();
                    pacer = new ProgressPacer(cmdlet, activityId, activity);
                }
                bool whole = total.HasValue && done >= total.Value;
                pacer.Report(total.HasValue ? $"{done / 1048576.0:0.0} of {total.Value / 1048576.0:0.0} MiB" : $"{done / 1048576.0:0.0} MiB",
                    total.HasValue && total.Value > 0 ? (double)done / total.Value : (double?)null, always: whole);
                if (whole)
                {
                    pacer.Complete();
                }
            };
        }
    }
}
