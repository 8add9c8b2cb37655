using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Errors;

namespace OsvPS.Completers
{
    /// <summary>What the name completers share: the word without its quotes, matched as the start of a name.</summary>
    internal static class NameCompletion
    {
        /// <summary>The word being completed, without the quotes the user may have opened.</summary>
        public static string Prefix(string? word) => (word ?? "").Trim('\'', '"');

        /// <summary>
        /// The items whose name starts like the word (its wildcards count: 'web*1'); a half-written
        /// pattern ('a[') completes to nothing rather than failing. A name with a space is quoted.
        /// </summary>
        public static List<CompletionResult> Matching<T>(string? word, IEnumerable<T> items, Func<T, string> nameOf, Func<T, string> tooltip)
        {
            WildcardPattern pattern;
            try
            {
                pattern = Names.Pattern(Prefix(word) + "*");
            }
            catch (OsvException)
            {
                return new List<CompletionResult>();
            }
            return items.Where(i => pattern.IsMatch(nameOf(i)))
                .Select(i =>
                {
                    string name = nameOf(i);
                    return new CompletionResult(name.IndexOf(' ') >= 0 ? "'" + name + "'" : name, name, CompletionResultType.ParameterValue, tooltip(i));
                })
                .ToList();
        }
    }
}
