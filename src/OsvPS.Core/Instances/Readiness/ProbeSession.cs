using System;
using System.Threading;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>One check's verdict: ready or not, and what was seen (<c>HTTP 200</c>, <c>connection refused</c>).</summary>
    internal readonly struct ProbeResult
    {
        public ProbeResult(bool ready, string detail)
        {
            Ready = ready;
            Detail = detail;
        }

        public bool Ready { get; }
        public string Detail { get; }

        public static ProbeResult Yes(string detail) => new ProbeResult(true, detail);

        public static ProbeResult No(string detail) => new ProbeResult(false, detail);
    }

    /// <summary>A probe's checks of one target, one after another; it keeps what it read of the console between them.</summary>
    internal abstract class ProbeSession : IDisposable
    {
        /// <summary>One attempt, bounded by <paramref name="deadline"/> (every connect and read) and cancellable.</summary>
        public abstract ProbeResult Check(TimeSpan deadline, CancellationToken cancellation);

        public virtual void Dispose()
        {
        }
    }
}
