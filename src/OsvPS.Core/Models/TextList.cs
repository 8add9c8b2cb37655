using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>
    /// A list on an object OsvPS writes (an ELF file's Dependencies). It is a list for scripts and an array in
    /// ConvertTo-Json, and where text is wanted (Export-Csv) it reads as its items, not as a type name.
    /// </summary>
    public class ReadableList<T> : ReadOnlyCollection<T>
    {
        private readonly string separator;

        internal ReadableList(IEnumerable<T>? items, string separator = ", ")
            : base((items ?? Enumerable.Empty<T>()).ToList())
        {
            this.separator = separator;
        }

        /// <summary>The number of items, as for an array (a script's <c>.Length</c> keeps meaning the count).</summary>
        public int Length => Count;

        public override string ToString() => string.Join(separator, this.Select(Show));

        /// <summary>How one item reads in the list's text.</summary>
        protected virtual string Show(T item) => item?.ToString() ?? "";
    }

    /// <summary>
    /// A list of strings on an object OsvPS writes (an instance's Forwards, a package's Require, ...): it reads as
    /// <c>tcp:127.0.0.1:8080:80, udp:...</c>, or, for a command, as a shell would take it.
    /// </summary>
    public sealed class TextList : ReadableList<string>
    {
        private readonly bool quoteWords;

        private TextList(IEnumerable<string>? items, string separator, bool quoteWords)
            : base(items, separator)
        {
            this.quoteWords = quoteWords;
        }

        /// <summary>Items that read joined by ", ".</summary>
        public static TextList Of(IEnumerable<string>? items) => new TextList(items, ", ", false);

        /// <summary>A program and its arguments, which read as a shell would take them (a word with a space or quote in quotes).</summary>
        public static TextList Command(IEnumerable<string>? words) => new TextList(words, " ", true);

        protected override string Show(string item) => quoteWords ? Quote(item) : item;

        private static string Quote(string word)
            => word.Length > 0 && word.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".IndexOf(c) >= 0) ? word : "'" + word.Replace("'", "'\\''") + "'";
    }
}
