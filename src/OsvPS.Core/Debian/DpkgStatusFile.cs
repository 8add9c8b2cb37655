using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Debian
{
    /// <summary>
    /// Parses dpkg's status file (<c>/var/lib/dpkg/status</c>, deb-control(5) stanzas separated by blank
    /// lines, fields continued on lines that start with a space or tab) into packages. Fields OsvPS does
    /// not use are skipped; a malformed stanza is <see cref="ErrorIds.DpkgDatabaseInvalid"/> naming its line.
    /// </summary>
    internal static class DpkgStatusFile
    {
        /// <summary>Debian's own status files are a few MiB; this bounds what a hostile one can make OsvPS read.</summary>
        public const long MaxBytes = 256L << 20;
        public const int MaxLine = 1 << 20;
        private static readonly string[] ConffileFlags = { "obsolete", "remove-on-upgrade" };

        public static List<DpkgPackage> Read(string path) => Parse(DpkgText.ReadLines(path, MaxBytes, MaxLine), path);

        public static List<DpkgPackage> Parse(IEnumerable<string> lines, string source)
        {
            var packages = new List<DpkgPackage>();
            // A field's continuation lines are appended to a builder: joining strings line by line would copy a long
            // field again for every line (a 10 MiB Description took minutes).
            var fields = new Dictionary<string, System.Text.StringBuilder>(StringComparer.OrdinalIgnoreCase);
            string? current = null;
            int number = 0;
            int start = 0;
            foreach (string raw in lines.Concat(new[] { "" }))
            {
                number++;
                string line = raw.TrimEnd('\r');
                if (line.Trim().Length == 0)
                {
                    if (fields.Count > 0)
                    {
                        packages.Add(ToPackage(fields.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.OrdinalIgnoreCase), source, start));
                    }
                    fields.Clear();
                    current = null;
                    continue;
                }
                if (fields.Count == 0 && current == null)
                {
                    start = number;
                }
                if (line[0] == ' ' || line[0] == '\t')
                {
                    if (current == null)
                    {
                        throw DpkgText.Invalid(source, number, "a continuation line comes before any field");
                    }
                    fields[current].Append('\n').Append(line, 1, line.Length - 1);
                    continue;
                }
                int colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    throw DpkgText.Invalid(source, number, "the line is neither 'Field: value' nor a continuation");
                }
                current = line.Substring(0, colon);
                if (fields.ContainsKey(current))
                {
                    throw DpkgText.Invalid(source, number, $"the field '{current}' appears twice in one stanza");
                }
                fields[current] = new System.Text.StringBuilder(line.Substring(colon + 1).Trim());
            }
            return packages;
        }

        private static DpkgPackage ToPackage(Dictionary<string, string> fields, string source, int line)
        {
            string name = Field(fields, "Package");
            if (!DebianRelation.IsValidName(name))
            {
                throw DpkgText.Invalid(source, line, name.Length == 0 ? "a stanza has no Package field" : $"'{name}' is not a package name");
            }
            string architecture = Field(fields, "Architecture");
            if (architecture.Length > 0 && !DebianRelation.IsValidArchitecture(architecture))
            {
                throw DpkgText.Invalid(source, line, $"package '{name}' has the architecture '{architecture}'");
            }
            var status = Field(fields, "Status").Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            string state = status.Length == 3 ? status[2] : "";
            var depends = new List<IReadOnlyList<DebianRelation>>();
            foreach (string field in new[] { "Pre-Depends", "Depends" })
            {
                depends.AddRange(Relations(fields, field, name, source, line));
            }
            var provides = Relations(fields, "Provides", name, source, line).SelectMany(g => g).ToList();
            string section = Field(fields, "Section");
            return new DpkgPackage(name, architecture, Field(fields, "Version"), section.Substring(section.LastIndexOf('/') + 1), Field(fields, "Priority"),
                string.Equals(Field(fields, "Essential"), "yes", StringComparison.OrdinalIgnoreCase), state, depends, provides,
                Conffiles(Field(fields, "Conffiles")));
        }

        private static string Field(Dictionary<string, string> fields, string name) => fields.TryGetValue(name, out var value) ? value.Trim() : "";

        private static List<List<DebianRelation>> Relations(Dictionary<string, string> fields, string field, string package, string source, int line)
        {
            string value = Field(fields, field).Replace('\n', ' ');
            var groups = DebianRelation.ParseField(value, out string? error);
            return groups ?? throw DpkgText.Invalid(source, line, $"the {field} field of package '{package}' is malformed: {error}");
        }

        // Each line: " <path> <md5> [flags]"; a path may hold spaces, so it is what precedes the hash.
        private static List<DebianConffile> Conffiles(string value)
        {
            var result = new List<DebianConffile>();
            foreach (string raw in value.Split('\n'))
            {
                var words = raw.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).ToList();
                bool obsolete = false;
                while (words.Count > 0 && ConffileFlags.Contains(words[words.Count - 1]))
                {
                    obsolete |= words[words.Count - 1] == "obsolete";
                    words.RemoveAt(words.Count - 1);
                }
                if (words.Count < 2 || !words[0].StartsWith("/", StringComparison.Ordinal))
                {
                    continue;
                }
                result.Add(new DebianConffile(string.Join(" ", words.Take(words.Count - 1)), obsolete));
            }
            return result;
        }
    }
}
