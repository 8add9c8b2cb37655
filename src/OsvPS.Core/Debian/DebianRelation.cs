using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace OsvPS.Core.Debian
{
    /// <summary>One package named in a Depends, Pre-Depends or Provides field, its version constraint dropped.</summary>
    internal sealed class DebianRelation
    {
        private static readonly Regex NamePattern = new Regex(@"^[a-z0-9][a-z0-9+.\-]{0,254}$", RegexOptions.CultureInvariant);
        private static readonly Regex ArchPattern = new Regex(@"^[a-z0-9][a-z0-9\-]{0,63}$", RegexOptions.CultureInvariant);

        public DebianRelation(string name, string? architecture)
        {
            Name = name;
            Architecture = architecture;
        }

        public string Name { get; }
        /// <summary>The qualifier after the colon (<c>any</c>, <c>native</c>, <c>amd64</c>), or null.</summary>
        public string? Architecture { get; }

        public override string ToString() => Architecture == null ? Name : Name + ":" + Architecture;

        /// <summary>True for a name Debian policy allows (lower case letters, digits, <c>+ - .</c>; 255 characters at most).</summary>
        public static bool IsValidName(string name) => NamePattern.IsMatch(name);

        public static bool IsValidArchitecture(string architecture) => ArchPattern.IsMatch(architecture);

        /// <summary>
        /// Parses a relation field: groups separated by commas, alternatives by <c>|</c>, each
        /// <c>name[:arch] [(op version)] [[arch list]] [&lt;profiles&gt;]</c>. Returns null (and why) on a malformed one.
        /// </summary>
        public static List<List<DebianRelation>>? ParseField(string value, out string? error)
        {
            error = null;
            var groups = new List<List<DebianRelation>>();
            foreach (string group in value.Split(','))
            {
                if (group.Trim().Length == 0)
                {
                    continue;
                }
                var alternatives = new List<DebianRelation>();
                foreach (string alternative in group.Split('|'))
                {
                    var relation = ParseOne(alternative, out error);
                    if (relation == null)
                    {
                        return null;
                    }
                    alternatives.Add(relation);
                }
                groups.Add(alternatives);
            }
            return groups;
        }

        private static DebianRelation? ParseOne(string text, out string? error)
        {
            error = null;
            string s = text.Trim();
            int end = 0;
            while (end < s.Length && s[end] != ' ' && s[end] != '\t' && s[end] != '(' && s[end] != '[' && s[end] != '<')
            {
                end++;
            }
            string token = s.Substring(0, end);
            string rest = s.Substring(end).Trim();
            if (!WellFormedTail(rest))
            {
                error = $"'{text.Trim()}' has an unbalanced version, architecture or profile part";
                return null;
            }
            string? arch = null;
            int colon = token.IndexOf(':');
            if (colon >= 0)
            {
                arch = token.Substring(colon + 1);
                token = token.Substring(0, colon);
                if (!IsValidArchitecture(arch))
                {
                    error = $"'{arch}' is not an architecture";
                    return null;
                }
            }
            if (!IsValidName(token))
            {
                error = $"'{token}' is not a package name";
                return null;
            }
            return new DebianRelation(token, arch);
        }

        // What may follow a name: "(op version)", "[arch ...]", "<profile ...>", each closed, in any number.
        private static bool WellFormedTail(string rest)
        {
            int i = 0;
            while (i < rest.Length)
            {
                char open = rest[i];
                if (open == ' ' || open == '\t')
                {
                    i++;
                    continue;
                }
                char close = open == '(' ? ')' : open == '[' ? ']' : open == '<' ? '>' : '\0';
                int at = close == '\0' ? -1 : rest.IndexOf(close, i + 1);
                if (at < 0)
                {
                    return false;
                }
                i = at + 1;
            }
            return true;
        }
    }
}
