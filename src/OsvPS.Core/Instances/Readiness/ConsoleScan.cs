using System;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>
    /// Reads an instance's console from its start, a bounded chunk at a time, each line raw and as the user reads it
    /// (null when OsvPS keeps it out); a later call goes on where the last one stopped.
    /// </summary>
    internal sealed class ConsoleScan : IDisposable
    {
        private const long Chunk = 1 << 20;

        private readonly ConsoleFollower follower;
        private readonly ConsoleView view;

        public ConsoleScan(ProbeTarget target)
        {
            follower = new ConsoleFollower(target.ConsolePath!);
            view = new ConsoleView(target.HidesDebugLines, target.RunscriptFiles);
        }

        /// <summary>Reads on until <paramref name="match"/> says true for a line (raw, shown) or the console's end; true when it did.</summary>
        public bool Find(Func<string, string?, bool> match)
        {
            do
            {
                foreach (string line in follower.Poll(Chunk))
                {
                    if (match(line, view.Filter(line)))
                    {
                        return true;
                    }
                }
            }
            while (follower.More);
            return false;
        }

        public void Dispose() => follower.Dispose();
    }
}
