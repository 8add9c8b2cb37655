using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>
    /// A list of strings on an object OsvPS writes (an instance's Forwards, a package's Require, ...). It is a list
    /// for scripts, ConvertTo-Json writes it as an array, and where text is wanted it reads as its items
    /// (<c>tcp:127.0.0.1:8080:80, udp:...</c>), not as <c>System.String[]</c>: Export-Csv writes that text.
    /// </summary>
    public sealed class TextList : ReadOnlyCollection<string>
    {
        private readonly string separator;
        private readonly bool quoteWords;

        private TextList(IEnumerable<string> items, string separator, bool quoteWords)
            : base(items.ToList())
        {
            this.separator = separator;
            this.quoteWords = quoteWords;
        }

        /// <summary>Items that read joined by ", ".</summary>
        public static TextList Of(IEnumerable<string>? items) => new TextList(items ?? Enumerable.Empty<string>(), ", ", false);

        /// <summary>A program and its arguments, which read as a shell would take them (a word with a space or quote in quotes).</summary>
        public static TextList Command(IEnumerable<string>? words) => new TextList(words ?? Enumerable.Empty<string>(), " ", true);

        public override string ToString() => string.Join(separator, quoteWords ? this.Select(Quote) : this);

        private static string Quote(string word)
            => word.Length > 0 && word.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".IndexOf(c) >= 0) ? word : "'" + word.Replace("'", "'\\''") + "'";
    }
}
