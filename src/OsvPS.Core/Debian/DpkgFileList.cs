using System;
using System.Collections.Generic;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Debian
{
    /// <summary>
    /// Parses a package's file list (<c>/var/lib/dpkg/info/&lt;package&gt;[:&lt;arch&gt;].list</c>): one absolute path
    /// a line, folders included, <c>/.</c> for the root. Every path must be absolute and plain (no <c>.</c> or
    /// <c>..</c> part, no NUL): under <c>-Root</c> a path like <c>/../etc/shadow</c> would otherwise reach out of the root.
    /// </summary>
    public static class DpkgFileList
    {
        public const long MaxBytes = 64L << 20;
        /// <summary>PATH_MAX.</summary>
        public const int MaxLine = 4096;

        public static List<string> Read(string path) => Parse(DpkgText.ReadLines(path, MaxBytes, MaxLine), path);

        public static List<string> Parse(IEnumerable<string> lines, string source)
        {
            var paths = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int number = 0;
            foreach (string raw in lines)
            {
                number++;
                string line = raw.TrimEnd('\r');
                if (line.Length == 0 || line == "/.")
                {
                    continue;
                }
                string? why = Check(line);
                if (why != null)
                {
                    throw DpkgText.Invalid(source, number, why);
                }
                string path = line.Length > 1 ? line.TrimEnd('/') : line;
                if (seen.Add(path))
                {
                    paths.Add(path);
                }
            }
            return paths;
        }

        /// <summary>Why <paramref name="path"/> is not a plain absolute path, or null when it is one.</summary>
        public static string? Check(string path)
        {
            if (!path.StartsWith("/", StringComparison.Ordinal))
            {
                return $"'{path}' is not an absolute path";
            }
            foreach (string part in path.Split('/'))
            {
                if (part == "." || part == "..")
                {
                    return $"'{path}' has a '{part}' part";
                }
            }
            return null;
        }
    }
}
