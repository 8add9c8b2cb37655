using System;
using System.Diagnostics;
using System.Threading;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances
{
    /// <summary>What following an instance came to.</summary>
    public sealed class FollowResult
    {
        internal FollowResult(OsvInstance? instance, bool timedOut, bool reached = false)
        {
            Instance = instance;
            TimedOut = timedOut;
            Reached = reached;
        }

        /// <summary>The ended instance (null when <see cref="TimedOut"/> or <see cref="Reached"/> and it was left running).</summary>
        public OsvInstance? Instance { get; }
        /// <summary>True when the timeout passed before the instance ended.</summary>
        public bool TimedOut { get; }
        /// <summary>True when <see cref="FollowOptions.Until"/> said so while the instance ran (it is left running).</summary>
        public bool Reached { get; }
    }

    /// <summary>What the follower does when time runs out or the caller goes away.</summary>
    public sealed class FollowOptions
    {
        /// <summary>Give up (or stop the guest, see <see cref="StopOnTimeout"/>) after this long.</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>On timeout, power the guest down (2 s, then a hard stop) and wait for its end; else leave it running.</summary>
        public bool StopOnTimeout { get; set; }
        /// <summary>When the caller is cancelled (Ctrl+C, a stopped pipeline), stop the guest at once.</summary>
        public bool StopOnCancel { get; set; }
        /// <summary>Stop the guest a moment after one of OSv's failure lines (a reader of the log alone does not).</summary>
        public bool StopOnFailure { get; set; } = true;
        /// <summary>Shown lines to pass over first (-Tail: only the last lines of what is there already).</summary>
        public int Skip { get; set; }
        /// <summary>Called about four times a second while the instance runs: the time so far, and whether the console has shown a line yet.</summary>
        public Action<TimeSpan, bool>? Tick { get; set; }
        /// <summary>Each console line the user reads.</summary>
        public Action<string>? Line { get; set; }
        /// <summary>Each debug line kept from the user (OSv's --verbose chatter), for -Verbose.</summary>
        public Action<string>? HiddenLine { get; set; }
        /// <summary>Asked on every tick while the instance runs (it paces itself): true ends the follow, the instance left running.</summary>
        public Func<bool>? Until { get; set; }
    }

    /// <summary>
    /// Follows any engine's running instance: streams its console, stops the guest a moment after one of
    /// OSv's failure lines (so its backtrace is kept), and ends on the guest's end, a timeout or
    /// cancellation, or when <see cref="FollowOptions.Until"/> says so (a readiness wait). The one loop behind
    /// Start-OsvInstance -Wait and -WaitReady, and Wait-OsvInstance.
    /// </summary>
    public static class InstanceFollower
    {
        private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

        public static FollowResult Follow(IInstanceEngine engine, IRunningInstance running, FollowOptions options, CancellationToken cancellation)
        {
            var filter = new ConsoleView(running.HidesDebugLines, running.RunscriptFiles);
            var clock = Stopwatch.StartNew();
            bool stopping = false;
            int skip = options.Skip;
            bool seen = false;
            var lastTick = TimeSpan.Zero;
            using (var watch = new GuestWatch(new ConsoleFollower(running.ConsolePath)))
            {
                void Emit(System.Collections.Generic.List<string> lines)
                {
                    foreach (string line in lines)
                    {
                        seen = true;
                        string? shown = filter.Filter(line);
                        if (shown != null && skip > 0)
                        {
                            skip--;
                        }
                        else if (shown != null)
                        {
                            options.Line?.Invoke(shown);
                        }
                        else
                        {
                            options.HiddenLine?.Invoke(line);
                        }
                    }
                }
                void EmitHeld()
                {
                    if (filter.Flush() is string held)
                    {
                        options.Line?.Invoke(held);
                    }
                }
                try
                {
                    while (!running.WaitForEnd(Tick))
                    {
                        Emit(watch.Poll());
                        if (options.Tick != null && clock.Elapsed - lastTick >= TimeSpan.FromMilliseconds(250))
                        {
                            lastTick = clock.Elapsed;
                            options.Tick(clock.Elapsed, seen);
                        }
                        if (!stopping && options.StopOnFailure && running.StopsOnFailureLines && watch.StopDue)
                        {
                            stopping = true;
                            engine.Stop(running.Name, TimeSpan.Zero, force: true, CancellationToken.None);
                        }
                        else if (!stopping && options.Until != null && options.Until())
                        {
                            Emit(watch.Poll());
                            return new FollowResult(null, timedOut: false, reached: true);
                        }
                        else if (!stopping && options.Timeout.HasValue && clock.Elapsed > options.Timeout.Value)
                        {
                            if (!options.StopOnTimeout)
                            {
                                Emit(watch.Poll());
                                return new FollowResult(null, timedOut: true);
                            }
                            stopping = true;
                            engine.Stop(running.Name, TimeSpan.FromSeconds(2), force: false, CancellationToken.None);
                            Emit(watch.Drain());
                            EmitHeld();
                            return new FollowResult(engine.Get(running.Name, CancellationToken.None), timedOut: true);
                        }
                        cancellation.ThrowIfCancellationRequested();
                    }
                    Emit(watch.Drain());
                    EmitHeld();
                    var ended = running.Finish();
                    foreach (string line in running.KernelLogLines())
                    {
                        options.HiddenLine?.Invoke(line);
                    }
                    return new FollowResult(ended, timedOut: false);
                }
                catch (Exception e) when (options.StopOnCancel && !(e is Errors.OsvException))
                {
                    // The caller is going away (cancelled, or its pipeline stopped in Line): the guest goes with it.
                    engine.Stop(running.Name, TimeSpan.Zero, force: true, CancellationToken.None);
                    throw;
                }
            }
        }
    }
}
