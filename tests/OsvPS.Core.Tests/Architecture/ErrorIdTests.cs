using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using OsvPS.Core.Errors;
using Xunit;

namespace OsvPS.Core.Tests.Architecture
{
    /// <summary>
    /// <see cref="ErrorIds"/> is the one complete list of the error ids OsvPS reports: every id thrown in
    /// the sources (the core's OsvExceptions and the cmdlets' error records) is in it, and it holds no
    /// id nothing throws.
    /// </summary>
    public sealed class ErrorIdTests
    {
        // An OsvException's or ErrorRecord's id, and the ids of OSv's failure lines (GuestFailures.cs).
        private static readonly Regex Thrown = new Regex(@"(?:new\s+(?:[\w.]+\.)?(?:OsvException|GuestFailure)\(\s*|new\s+ErrorRecord\([^,]+,\s*|\?\?\s*|(?:true|false),\s*)""(?<id>[A-Z][A-Za-z]+)""", RegexOptions.CultureInvariant);
        private static readonly Regex Constant = new Regex(@"ErrorIds\.(?<id>[A-Z][A-Za-z]+)", RegexOptions.CultureInvariant);

        private static string SourceRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "OsvPS.sln")))
                {
                    return Path.Combine(dir.FullName, "src");
                }
            }
            throw new InvalidOperationException("the source tree (OsvPS.sln) is not above " + AppContext.BaseDirectory);
        }

        private static Dictionary<string, string> Listed() => typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

        private static IEnumerable<(string Id, string File)> ThrownIds()
        {
            var listed = Listed();
            foreach (string file in Directory.EnumerateFiles(SourceRoot(), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.EndsWith("ErrorIds.cs", StringComparison.Ordinal)))
            {
                string text = File.ReadAllText(file);
                foreach (Match m in Thrown.Matches(text))
                {
                    yield return (m.Groups["id"].Value, Path.GetFileName(file));
                }
                foreach (Match m in Constant.Matches(text))
                {
                    if (listed.TryGetValue(m.Groups["id"].Value, out string? value))
                    {
                        yield return (value, Path.GetFileName(file));
                    }
                }
            }
        }

        [Fact]
        public void EveryThrownIdIsListed()
        {
            var listed = new HashSet<string>(Listed().Values, StringComparer.Ordinal);
            var missing = ThrownIds().Where(t => !listed.Contains(t.Id)).Select(t => $"{t.Id} ({t.File})").Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
            Assert.True(missing.Count == 0, "ids thrown but not in ErrorIds:\n" + string.Join("\n", missing));
        }

        [Fact]
        public void EveryListedIdIsThrownSomewhere()
        {
            var thrown = new HashSet<string>(ThrownIds().Select(t => t.Id), StringComparer.Ordinal);
            var unused = Listed().Where(p => !thrown.Contains(p.Value)).Select(p => p.Key).OrderBy(s => s, StringComparer.Ordinal).ToList();
            Assert.True(unused.Count == 0, "ids in ErrorIds that nothing throws:\n" + string.Join("\n", unused));
        }

        [Fact]
        public void ConstantsAreNamedAfterTheirIds()
        {
            var misnamed = Listed().Where(p => p.Key != p.Value && !(p.Key == "BaseCycle" && p.Value == "ConfigSetBaseCycle")).Select(p => $"{p.Key} = {p.Value}").ToList();
            Assert.True(misnamed.Count == 0, string.Join("\n", misnamed));
        }
    }
}
