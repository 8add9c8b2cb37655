using System;
using System.Diagnostics;
using System.Management.Automation;

namespace OsvPS
{
    /// <summary>
    /// Write-Progress for one activity the way PowerShell users know it: a status, the percent done and
    /// the seconds left where they can be known, at most four records a second, a Completed record at the
    /// end of what was shown. $ProgressPreference and -ProgressAction are honoured by WriteProgress
    /// itself; whether a record is drawn is the host's affair (the console host draws none when its
    /// output is redirected).
    /// </summary>
    internal sealed class ProgressPacer
    {
        private const long IntervalMs = 250;
        private readonly Cmdlet cmdlet;
        private readonly int activityId;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long lastShown = -IntervalMs;
        private bool shown;
        // The share done at the first report: a resumed transfer's bytes already there are no part of its pace.
        private double? startFraction;

        public ProgressPacer(PSCmdlet cmdlet, int activityId, string activity)
        {
            this.cmdlet = cmdlet;
            this.activityId = activityId;
            Activity = activity;
            Enabled = CanShow(cmdlet);
        }

        /// <summary>
        /// False only when the cmdlet has no host at all (invoked from .NET code outside a pipeline). A
        /// runspace on PowerShell's "Default Host" still gets records: ForEach-Object -Parallel, thread jobs
        /// and SDK callers pass its progress stream on to someone who shows it.
        /// </summary>
        public static bool CanShow(PSCmdlet cmdlet)
        {
            try
            {
                return cmdlet.CommandRuntime != null && cmdlet.Host?.UI != null;
            }
            catch (NullReferenceException)
            {
                return false;
            }
        }

        public string Activity { get; set; }

        public bool Enabled { get; }

        /// <summary>True when a record would be shown now: callers on a hot path test it before making the status text.</summary>
        public bool Due => Enabled && clock.ElapsedMilliseconds - lastShown >= IntervalMs;

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
                startFraction ??= f;
                double gained = f - startFraction.Value;
                if (secondsLeft == null && gained > 0 && now >= 1000)
                {
                    secondsLeft = now / 1000.0 * (1 - f) / gained;
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
            long last = 0;
            bool ended = false;
            return (activity, done, total) =>
            {
                // A new piece, or the same one started again (a retry): a new bar with its own pace.
                if (pacer == null || pacer.Activity != activity || done < last)
                {
                    pacer?.Complete();
                    pacer = new ProgressPacer(cmdlet, activityId, activity);
                    ended = false;
                }
                last = done;
                bool whole = total.HasValue && done >= total.Value;
                // A piece already whole is not shown again (an upload reports while the registry answers).
                if (ended)
                {
                    return;
                }
                ended = whole;
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
