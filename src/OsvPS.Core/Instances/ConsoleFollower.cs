using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace OsvPS.Core.Instances
{
    /// <summary>Reads a growing console log line by line, keeping a partial last line until it is complete.</summary>
    internal sealed class ConsoleFollower : IDisposable
    {
        /// <summary>Characters kept of one console line; the rest of a longer line is dropped.</summary>
        public const int MaxLineChars = 64 * 1024;

        private readonly string path;
        private readonly Decoder decoder = new UTF8Encoding(false).GetDecoder();
        private readonly StringBuilder partial = new StringBuilder();
        private readonly byte[] buffer = new byte[1 << 16];
        private readonly char[] chars = new char[(1 << 16) + 4];
        private FileStream? stream;
        private long position;

        /// <summary>
        /// Every line of a console log, the partial last one included, read a buffer at a time: a log of a GiB of
        /// short lines never sits in memory whole (a reader that keeps only some of them holds only those).
        /// </summary>
        public static IEnumerable<string> ReadLines(string path)
        {
            using (var follower = new ConsoleFollower(path))
            {
                // Once through to the end as it is now: a running guest's growing log is not chased.
                do
                {
                    foreach (string line in follower.Poll(maxBytes: 1 << 20))
                    {
                        yield return line;
                    }
                }
                while (follower.More);
                foreach (string line in follower.Drain())
                {
                    yield return line;
                }
            }
        }

        // True when the last Poll stopped at its byte limit with more of the file to read.
        internal bool More { get; private set; }

        public ConsoleFollower(string path, long startAt = 0)
        {
            this.path = path;
            position = startAt;
        }

        /// <summary>The complete lines that arrived since the last call (without line ends), reading at most <paramref name="maxBytes"/>.</summary>
        public List<string> Poll(long maxBytes = long.MaxValue)
        {
            More = false;
            var lines = new List<string>();
            if (stream == null)
            {
                if (!File.Exists(path))
                {
                    return lines;
                }
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            if (stream.Length < position)
            {
                position = 0; // the log was started anew
            }
            stream.Seek(position, SeekOrigin.Begin);
            int n;
            long read = 0;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                position += n;
                read += n;
                int count = decoder.GetChars(buffer, 0, n, chars, 0);
                for (int i = 0; i < count; i++)
                {
                    char c = chars[i];
                    if (c == '\n')
                    {
                        lines.Add(partial.ToString().TrimEnd('\r'));
                        partial.Clear();
                    }
                    else if (partial.Length < MaxLineChars)
                    {
                        // A longer line is cut: the console cannot make the reader hold unbounded text.
                        partial.Append(c);
                    }
                }
                if (read >= maxBytes)
                {
                    More = true;
                    break;
                }
            }
            return lines;
        }

        /// <summary>Everything left, the partial last line included (when the writer has ended).</summary>
        public List<string> Drain()
        {
            var lines = Poll();
            if (partial.Length > 0)
            {
                lines.Add(partial.ToString().TrimEnd('\r'));
                partial.Clear();
            }
            return lines;
        }

        public void Dispose() => stream?.Dispose();
    }
}

namespace OsvPS.Core.Instances
{
    /// <summary>Reads a console log as the user reads it: with OSv's debug lines kept out when OsvPS turned them on.</summary>
    internal static class ConsoleReader
    {
        /// <summary>The console as the user reads it; with <paramref name="tail"/>, only its last lines, holding no more than those.</summary>
        public static System.Collections.Generic.List<string> Read(string path, bool hideDebugLines, int? tail, IEnumerable<string>? runscriptFiles = null)
        {
            var view = new ConsoleView(hideDebugLines, runscriptFiles ?? Enumerable.Empty<string>());
            IEnumerable<string> lines = ConsoleFollower.ReadLines(path).Select(view.Filter).Concat(Flushed(view)).Where(l => l != null).Select(l => l!);
            if (!tail.HasValue)
            {
                return lines.ToList();
            }
            var last = new Queue<string>(Math.Min(tail.Value, 4096) + 1);
            foreach (string line in lines)
            {
                last.Enqueue(line);
                if (last.Count > tail.Value)
                {
                    last.Dequeue();
                }
            }
            return last.ToList();
        }

        // The filter's held line, asked for only once every line went through it.
        private static IEnumerable<string?> Flushed(ConsoleView filter)
        {
            yield return filter.Flush();
        }
    }
}
