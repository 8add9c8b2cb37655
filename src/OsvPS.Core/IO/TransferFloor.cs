using System;
using System.Diagnostics;
using System.Globalization;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// The least a network transfer must do to go on: move a byte within <see cref="IdleTimeout"/>, and move
    /// <see cref="MinimumRate"/> bytes a second on average over each <see cref="RateWindow"/> (a peer that drips a byte
    /// every few seconds keeps a connection alive for ever otherwise); a request's answer, once all of it was sent,
    /// comes within <see cref="AnswerTimeout"/>.
    /// </summary>
    public sealed class TransferLimits
    {
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
        public long MinimumRate { get; set; } = 1024;
        public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(60);
        public TimeSpan AnswerTimeout { get; set; } = TimeSpan.FromSeconds(60);
    }

    /// <summary>Watches one transfer against its <see cref="TransferLimits"/>: fed the bytes moved so far, it says when the transfer fell below them.</summary>
    internal sealed class TransferFloor
    {
        private readonly TransferLimits limits;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long moved;
        private TimeSpan lastMove;
        private TimeSpan windowStart;
        private long windowStartMoved;

        public TransferFloor(TransferLimits limits) => this.limits = limits;

        /// <summary>Takes the count of bytes moved so far (it only grows).</summary>
        public void Moved(long total)
        {
            if (total != moved)
            {
                moved = total;
                lastMove = clock.Elapsed;
            }
        }

        /// <summary>Why the transfer should end now, or null while it keeps above the floor.</summary>
        public string? Shortfall()
        {
            var now = clock.Elapsed;
            if (now - lastMove >= limits.IdleTimeout)
            {
                return $"no data moved for {Seconds(limits.IdleTimeout)} s";
            }
            if (now - windowStart >= limits.RateWindow)
            {
                long inWindow = moved - windowStartMoved;
                if (inWindow < limits.MinimumRate * limits.RateWindow.TotalSeconds)
                {
                    return $"slower than {limits.MinimumRate} bytes/s for {Seconds(limits.RateWindow)} s ({inWindow} bytes)";
                }
                windowStart = now;
                windowStartMoved = moved;
            }
            return null;
        }

        private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
    }
}
