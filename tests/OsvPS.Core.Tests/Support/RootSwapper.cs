using System;
using System.IO;
using System.Threading;
using OsvPS.Core.IO;

namespace OsvPS.Core.Tests.Support
{
    /// <summary>
    /// On a thread of its own, makes a project folder's name come and go: absent, then a link to a folder outside,
    /// then absent again. A real folder made there meanwhile (by the writer under test) is moved aside, beside it, to
    /// <c>&lt;name&gt;.made.&lt;n&gt;</c>: what was written into it stays inside the parent, and the name is free again.
    /// </summary>
    internal sealed class RootSwapper : IDisposable
    {
        private readonly string root;
        private readonly string outside;
        private readonly Thread thread;
        private readonly CancellationTokenSource stop = new CancellationTokenSource();
        private long swaps;
        private int made;

        public RootSwapper(string root, string outside)
        {
            this.root = root;
            this.outside = outside;
            thread = new Thread(Run) { IsBackground = true };
            thread.Start();
        }

        /// <summary>How many times the name changed.</summary>
        public long Swaps => Interlocked.Read(ref swaps);

        private void Run()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var there = UnixFile.Stat(root, noFollow: true);
                    if (there == null)
                    {
                        File.CreateSymbolicLink(root, outside);
                    }
                    else if (there.Type == UnixFileType.SymbolicLink)
                    {
                        File.Delete(root);
                    }
                    else
                    {
                        Directory.Move(root, root + ".made." + made++);
                    }
                    Interlocked.Increment(ref swaps);
                }
                catch (IOException)
                {
                    // The writer made the folder between the look and the change: look again.
                }
                // Each state held for a varying while, so that writes start in both and many are under way at a change.
                Thread.SpinWait(1000 * (int)(1 + swaps % 5));
            }
        }

        /// <summary>Stops, and leaves the name absent.</summary>
        public void Dispose()
        {
            stop.Cancel();
            thread.Join();
            if (UnixFile.Stat(root, noFollow: true)?.Type == UnixFileType.SymbolicLink)
            {
                File.Delete(root);
            }
            stop.Dispose();
        }
    }
}
