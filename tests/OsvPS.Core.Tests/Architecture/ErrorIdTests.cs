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
    /// <see cref="ErrorIds"/> is the one complete list of the error ids OsvPS reports. The compiler sees to most
    /// of it (an OsvException takes an <see cref="ErrorId"/>, which only ErrorIds makes); these tests see to the
    /// rest: no error record is given a string literal for an id, no other file makes an ErrorId, and the list
    /// holds no id nothing throws.
    /// </summary>
    public sealed class ErrorIdTests
    {
        // A string literal (plain, verbatim or interpolated) where an error record takes its id.
        // The first argument may hold commas inside its own parentheses (a call): a literal right after it is the id.
        private static readonly Regex LiteralRecordId = new Regex(@"new\s+ErrorRecord\((?:[^,()""]|\((?:[^()]|\([^()]*\))*\))*,\s*\$?@?""", RegexOptions.CultureInvariant);
        private static readonly Regex MadeId = new Regex(@"new\s+(?:Errors\.)?ErrorId\(", RegexOptions.CultureInvariant);
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
            .Where(f => f.FieldType == typeof(ErrorId)).ToDictionary(f => f.Name, f => ((ErrorId)f.GetValue(null)!).Name);

        private static IEnumerable<(string File, string Text)> Sources() => Directory.EnumerateFiles(SourceRoot(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.EndsWith("ErrorIds.cs", StringComparison.Ordinal))
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f)));

        [Fact]
        public void NoErrorRecordTakesAStringLiteralForItsId()
        {
            Assert.Matches(LiteralRecordId, "new ErrorRecord(e, \"SomeId\", ErrorCategory.NotSpecified, null)");
            Assert.Matches(LiteralRecordId, "new ErrorRecord(Wrap(e, x), \"SomeId\", ErrorCategory.NotSpecified, null)");
            Assert.DoesNotMatch(LiteralRecordId, "new ErrorRecord(e, ErrorIds.ImageNotFound, ErrorCategory.NotSpecified, \"target\")");
            var literal = Sources().Where(s => LiteralRecordId.IsMatch(s.Text)).Select(s => s.File).ToList();
            Assert.True(literal.Count == 0, "error records with a string literal for an id (use an ErrorIds field):\n" + string.Join("\n", literal));
        }

        [Fact]
        public void OnlyErrorIdsMakesAnErrorId()
        {
            var makers = Sources().Where(s => MadeId.IsMatch(s.Text)).Select(s => s.File).ToList();
            Assert.True(makers.Count == 0, "files that make an ErrorId besides ErrorIds.cs:\n" + string.Join("\n", makers));
            Assert.Null(typeof(ErrorId).GetConstructor(new[] { typeof(string) }));
        }

        [Fact]
        public void EveryListedIdIsThrownSomewhere()
        {
            var used = new HashSet<string>(Sources().SelectMany(s => Constant.Matches(s.Text).Select(m => m.Groups["id"].Value)), StringComparer.Ordinal);
            var unused = Listed().Keys.Where(name => !used.Contains(name)).OrderBy(s => s, StringComparer.Ordinal).ToList();
            Assert.True(unused.Count == 0, "ids in ErrorIds that nothing throws:\n" + string.Join("\n", unused));
        }

        [Fact]
        public void FieldsAreNamedAfterTheirIds()
        {
            Assert.True(Listed().Count > 100, "ErrorIds lists its ids as ErrorId fields");
            var misnamed = Listed().Where(p => p.Key != p.Value).Select(p => $"{p.Key} = {p.Value}").ToList();
            Assert.True(misnamed.Count == 0, string.Join("\n", misnamed));
        }
    }
}
