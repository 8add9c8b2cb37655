using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>One probe of one instance, as Test-OsvInstance writes it: a runbook filters on <see cref="Ready"/>.</summary>
    public sealed class OsvReadiness
    {
        internal OsvReadiness(string name, string probe, bool ready, string detail, TimeSpan elapsed, DateTime checkedAt)
        {
            Name = name;
            Probe = probe;
            Ready = ready;
            Detail = detail;
            Elapsed = elapsed;
            Checked = checkedAt;
        }

        public string Name { get; }
        /// <summary>The probe as written (<c>running</c> when none was given).</summary>
        public string Probe { get; }
        public bool Ready { get; }
        /// <summary>What was seen: <c>HTTP 200</c>, <c>connection refused at 127.0.0.1:8080</c>, <c>no such line yet</c>, <c>Stopped</c>.</summary>
        public string Detail { get; }
        /// <summary>How long the check took.</summary>
        public TimeSpan Elapsed { get; }
        /// <summary>When it was checked (local time).</summary>
        public DateTime Checked { get; }
    }

    /// <summary>How a wait for readiness ended.</summary>
    public sealed class ReadinessOutcome
    {
        internal ReadinessOutcome(OsvInstance instance, bool ready, bool ended, string detail, TimeSpan elapsed, OsvException? error)
        {
            Instance = instance;
            Ready = ready;
            Ended = ended;
            Detail = detail;
            Elapsed = elapsed;
            Error = error;
        }

        /// <summary>The instance as it is now (running when ready or timed out; its end when <see cref="Ended"/>).</summary>
        public OsvInstance Instance { get; }
        public bool Ready { get; }
        /// <summary>True when the instance ended before it was ready.</summary>
        public bool Ended { get; }
        /// <summary>The last check's verdict.</summary>
        public string Detail { get; }
        public TimeSpan Elapsed { get; }
        /// <summary>The <see cref="ErrorIds.NotReady"/> error when not ready (with the console's last lines), else null.</summary>
        public OsvException? Error { get; }
    }

    /// <summary>
    /// Checks probes against instances: once (Test-OsvInstance), or again and again until the instance is ready,
    /// ends, or time runs out (Start-OsvInstance -WaitReady, Wait-OsvInstance -Ready). Attempts are paced (every
    /// 200 ms at first, backing off to 1 s), each connect and read has its own deadline (2 s), and everything stops on
    /// cancellation (Ctrl+C).
    /// </summary>
    public static class ReadinessCheck
    {
        /// <summary>The longest one attempt may take (connect, send, read).</summary>
        public static readonly TimeSpan AttemptDeadline = TimeSpan.FromSeconds(2);
        /// <summary>How long a readiness wait lasts when no timeout is given.</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);
        /// <summary>How long after a probe answered the instance is looked at again, to be sure it still runs.</summary>
        private static readonly TimeSpan ConfirmAfter = TimeSpan.FromMilliseconds(300);

        /// <summary>How many of the console's last lines a NotReady error shows.</summary>
        public const int ConsoleLines = 10;

        internal static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(200);
        internal static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

        /// <summary>One check of <paramref name="probe"/> against <paramref name="instance"/>; an instance that is not running is not ready.</summary>
        public static OsvReadiness Once(IInstanceEngine engine, OsvInstance instance, ReadinessProbe probe, CancellationToken cancellation)
        {
            var clock = Stopwatch.StartNew();
            var at = DateTime.Now;
            var current = instance;
            if (current.State == InstanceState.Running)
            {
                using (var running = engine.Attach(instance.Name, cancellation))
                {
                    // Brings the console up to date (a libvirt instance's is a local copy) and settles an instance that has just ended.
                    current = running.WaitForEnd(TimeSpan.Zero) ? running.Finish() : engine.Get(instance.Name, cancellation);
                }
            }
            if (current.State != InstanceState.Running)
            {
                return new OsvReadiness(instance.Name, probe.Text, false, StateText(current), clock.Elapsed, at);
            }
            using (var session = probe.Open(ProbeTarget.Of(current)))
            {
                var result = session.Check(AttemptDeadline, cancellation);
                return new OsvReadiness(instance.Name, probe.Text, result.Ready, result.Detail, clock.Elapsed, at);
            }
        }

        /// <summary>
        /// Checks <paramref name="probe"/> against a running instance until it is ready (the instance is left running),
        /// the instance ends (at once: no waiting out the time), or <paramref name="timeout"/> passes. A probe the
        /// instance gives no way in throws <see cref="ErrorIds.ReadinessProbeUnreachable"/> before the first check.
        /// </summary>
        public static ReadinessOutcome Wait(IInstanceEngine engine, IRunningInstance running, ReadinessProbe probe, TimeSpan? timeout,
            Action<TimeSpan, bool>? tick, CancellationToken cancellation)
        {
            var limit = timeout ?? DefaultTimeout;
            var clock = Stopwatch.StartNew();
            var instance = engine.Get(running.Name, cancellation);
            using (var session = probe.Open(ProbeTarget.Of(instance)))
            {
                var last = ProbeResult.No("not checked yet");
                var pause = TimeSpan.Zero;
                var next = TimeSpan.Zero;
                bool Ready()
                {
                    if (clock.Elapsed < next)
                    {
                        return false;
                    }
                    var left = limit - clock.Elapsed;
                    last = session.Check(left < AttemptDeadline ? (left > TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100)) : AttemptDeadline, cancellation);
                    pause = pause == TimeSpan.Zero ? FirstPause : TimeSpan.FromTicks(Math.Min(LongestPause.Ticks, pause.Ticks * 3 / 2));
                    next = clock.Elapsed + pause;
                    return last.Ready;
                }
                var options = new FollowOptions { Timeout = limit, Tick = tick, Until = Ready };
                var result = InstanceFollower.Follow(engine, running, options, cancellation);
                OsvInstance? confirmed = null;
                if (result.Reached)
                {
                    // A guest that powered off just as it answered still holds the probe's connection (QEMU pauses in
                    // -no-shutdown with its forwards open): it is ready only if it still runs a moment later, when the
                    // engine's next look has settled such an end (the QEMU engine looks at most every 250 ms).
                    cancellation.WaitHandle.WaitOne(ConfirmAfter);
                    confirmed = engine.Get(running.Name, cancellation);
                    if (confirmed.State == InstanceState.Running)
                    {
                        return new ReadinessOutcome(confirmed, true, false, last.Detail, clock.Elapsed, null);
                    }
                }
                var now = confirmed ?? result.Instance ?? engine.Get(running.Name, cancellation);
                bool ended = confirmed != null || result.Instance != null;
                string tail = Tail(engine, running.Name, cancellation);
                var error = ended
                    ? new OsvException(ErrorIds.NotReady, OsvErrorKind.InvalidResult,
                        $"instance '{now.Name}' ended before it was ready ({probe.Text}; last check: {last.Detail}): {StateText(now)}.{tail}", now)
                    : new OsvException(ErrorIds.NotReady, OsvErrorKind.OperationTimeout,
                        $"instance '{now.Name}' was not ready after {HostSocket.Seconds(limit)} ({probe.Text}; last check: {last.Detail}); it keeps running (Stop-OsvInstance {now.Name}).{tail}", now);
                return new ReadinessOutcome(now, false, ended, last.Detail, clock.Elapsed, error);
            }
        }

        /// <summary>The error for an instance that is not running when a wait for its readiness begins.</summary>
        public static OsvException NotRunning(IInstanceEngine engine, OsvInstance instance, ReadinessProbe probe, CancellationToken cancellation)
            => new OsvException(ErrorIds.NotReady, OsvErrorKind.InvalidResult,
                $"instance '{instance.Name}' is not running, so it will not be ready ({probe.Text}): {StateText(instance)}.{Tail(engine, instance.Name, cancellation)}", instance);

        private static string StateText(OsvInstance instance) => instance.State + (string.IsNullOrEmpty(instance.Reason) ? "" : ", " + instance.Reason);

        // The console's last lines as the user reads them, for the error's message.
        private static string Tail(IInstanceEngine engine, string name, CancellationToken cancellation)
        {
            List<string> lines;
            try
            {
                lines = engine.ReadConsole(name, ConsoleLines, cancellation);
            }
            catch (OsvException)
            {
                return "";
            }
            catch (System.IO.IOException)
            {
                return "";
            }
            return lines.Count == 0 ? " Its console is empty." : $" The last {lines.Count} lines of its console:\n" + string.Join("\n", lines.Select(l => "  " + (l.Length > 300 ? l.Substring(0, 300) + "..." : l)));
        }
    }
}
