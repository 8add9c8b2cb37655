using System.Globalization;
using System.Text;

namespace OsvPS.Core.Errors
{
    /// <summary>
    /// Text from outside (a registry's error, a status file's field, a file name, a guest's line) made safe to show:
    /// control characters (escape sequences that would move the cursor or recolour a terminal, a carriage return that
    /// would overwrite the line) and lone surrogates are written as <c>\xHH</c> / <c>\uHHHH</c>. Line feeds and tabs
    /// stay. The data itself is never changed; only what a message shows.
    /// </summary>
    internal static class TextSafety
    {
        public static string Printable(string? text)
        {
            if (text == null || text.Length == 0)
            {
                return string.Empty;
            }
            int i = 0;
            while (i < text.Length && !NeedsEscape(text, i))
            {
                i++;
            }
            if (i == text.Length)
            {
                return text;
            }
            var shown = new StringBuilder(text.Length + 16);
            shown.Append(text, 0, i);
            for (; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    shown.Append(c).Append(text[++i]);
                }
                else if (NeedsEscape(text, i))
                {
                    shown.Append(c < 0x100 ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
                }
                else
                {
                    shown.Append(c);
                }
            }
            return shown.ToString();
        }

        private static bool NeedsEscape(string text, int i)
        {
            char c = text[i];
            if (c == '\n' || c == '\t')
            {
                return false;
            }
            if (char.IsHighSurrogate(c))
            {
                return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
            }
            if (char.IsLowSurrogate(c))
            {
                return i == 0 || !char.IsHighSurrogate(text[i - 1]);
            }
            // C0 and C1 controls, DEL, and the line and paragraph separators some terminals break on.
            return char.IsControl(c) || c == '\u2028' || c == '\u2029';
        }
    }
}
