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

        /// <summary>The last <paramref name="tail"/> complete lines of a console log (all when null).</summary>
        public static List<string> ReadLines(string path, int? tail)
        {
            using (var follower = new ConsoleFollower(path))
            {
                var lines = follower.Drain();
                return tail.HasValue && lines.Count > tail.Value ? lines.GetRange(lines.Count - tail.Value, tail.Value) : lines;
            }
        }

        public ConsoleFollower(string path, long startAt = 0)
        {
            this.path = path;
            position = startAt;
        }

        /// <summary>The complete lines that arrived since the last call (without line ends).</summary>
        public List<string> Poll()
        {
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
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                position += n;
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
        public static System.Collections.Generic.List<string> Read(string path, bool hideDebugLines, int? tail)
        {
            var lines = ConsoleFollower.ReadLines(path, hideDebugLines ? null : tail);
            if (hideDebugLines)
            {
                var filter = new VerboseConsoleFilter();
                lines = lines.Select(filter.Filter).Append(filter.Flush()).Where(l => l != null).Select(l => l!).ToList();
                if (tail.HasValue && lines.Count > tail.Value)
                {
                    lines = lines.GetRange(lines.Count - tail.Value, tail.Value);
                }
            }
            return lines;
        }
    }
}
