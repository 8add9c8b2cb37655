using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Packaging
{
    /// <summary>
    /// Capstan's <c>.capstanignore</c>: patterns anchored at the project root; <c>*</c> within one
    /// path segment, <c>/**/</c> across any number of folders; a pattern matching a folder drops
    /// everything beneath it.
    /// </summary>
    internal sealed class IgnoreRules
    {
        /// <summary>Paths never copied into an image.</summary>
        public static readonly IReadOnlyList<string> AlwaysIgnored = new[] { "/meta", "/mpm-pkg", "/.git", "/.capstanignore", "/.gitignore", "/volumes" };

        public const string FileName = ".capstanignore";

        private readonly List<string> patterns = new List<string>();
        private readonly Regex any;

        public IgnoreRules(IEnumerable<string> lines)
            : this(lines, AlwaysIgnored)
        {
        }

        /// <summary>Rules of <paramref name="lines"/> plus <paramref name="fixedRules"/> (packages keep /meta, images do not).</summary>
        public IgnoreRules(IEnumerable<string> lines, IEnumerable<string> fixedRules)
        {
            foreach (string pattern in fixedRules.Concat(lines))
            {
                string p = pattern.Trim();
                if (p.Length == 0 || p.StartsWith("#", StringComparison.Ordinal))
                {
                    continue;
                }
                if (!p.StartsWith("/", StringComparison.Ordinal))
                {
                    p = "/" + p;
                }
                patterns.Add(p);
            }
            // One alternation: a single match per path however many patterns there are. Repeated wildcards
            // are folded first, and a match that still runs past its time is an error, not a hung build.
            any = new Regex("^(?:" + string.Join("|", patterns.Select(p => ToRegex(Fold(p.TrimEnd('/'))))) + ")$",
                RegexOptions.CultureInvariant, MatchTimeout);
        }

        /// <summary>The rules of a project folder: its .capstanignore (if any) plus the fixed ones.</summary>
        public static IgnoreRules ForProject(string projectPath) => ForProject(projectPath, AlwaysIgnored);

        /// <summary>The rules of a project folder's .capstanignore (if any) plus <paramref name="fixedRules"/>.</summary>
        public static IgnoreRules ForProject(string projectPath, IEnumerable<string> fixedRules)
        {
            string file = Path.Combine(projectPath, FileName);
            return new IgnoreRules(File.Exists(file) ? File.ReadAllLines(file) : new string[0], fixedRules);
        }

        /// <summary>True when <paramref name="guestPath"/> itself matches; for walkers that never enter an ignored folder.</summary>
        public bool Matches(string guestPath)
        {
            try
            {
                return any.IsMatch(guestPath);
            }
            catch (RegexMatchTimeoutException e)
            {
                throw new Errors.OsvException(ErrorIds.IgnorePatternTooComplex, Errors.OsvErrorKind.LimitsExceeded,
                    $"{FileName}: matching '{guestPath}' took longer than {MatchTimeout.TotalSeconds:0} s; simplify the patterns (fewer '*' and '/**/' in one line).", guestPath, e);
            }
        }

        private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

        // "/**/**/" means "/**/": the repeats only add ways to backtrack.
        private static string Fold(string pattern)
        {
            string folded = pattern;
            while (folded.Contains("/**/**/"))
            {
                folded = folded.Replace("/**/**/", "/**/");
            }
            return folded;
        }

        private static string ToRegex(string pattern)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < pattern.Length; i++)
            {
                char c = pattern[i];
                if (string.CompareOrdinal(pattern, i, "/**/", 0, 4) == 0)
                {
                    sb.Append("/(?:[^/]+/)*");
                    i += 3;
                }
                else if (string.CompareOrdinal(pattern, i, "/**", 0, 3) == 0 && i + 3 == pattern.Length)
                {
                    sb.Append("/.*");
                    i += 2;
                }
                else if (c == '*')
                {
                    // A run of stars within a segment is one star ("a**b" is "a*b").
                    while (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                    }
                    sb.Append("[^/]*");
                }
                else if (c == '?')
                {
                    sb.Append("[^/]");
                }
                else
                {
                    sb.Append(Regex.Escape(c.ToString()));
                }
            }
            return sb.ToString();
        }
    }
}
