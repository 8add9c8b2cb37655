using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace OsvPS.Core.Packaging
{
    /// <summary>One word of a command: its text as written and the argument the program receives.</summary>
    internal sealed class OsvWord
    {
        internal OsvWord(string text, string value, bool quoted, int start)
        {
            Text = text;
            Value = value;
            Quoted = quoted;
            Start = start;
        }

        /// <summary>The word as written (quotes and escapes included).</summary>
        public string Text { get; }

        /// <summary>The argument OSv hands the program (escapes decoded, before <c>$NAME</c> expansion).</summary>
        public string Value { get; }

        /// <summary>True for a double-quoted string, false for a plain word.</summary>
        public bool Quoted { get; }

        internal int Start { get; }

        public override string ToString() => Text;
    }

    /// <summary>One command of a command line: its words and the operator that ends it.</summary>
    internal sealed class OsvCommand
    {
        internal OsvCommand(IReadOnlyList<OsvWord> words, string terminator)
        {
            Words = words;
            Terminator = terminator;
        }

        public IReadOnlyList<OsvWord> Words { get; }

        /// <summary><c>;</c>, <c>&amp;</c>, <c>&amp;!</c>, <c>!</c>, or empty at the end of the text.</summary>
        public string Terminator { get; }

        public override string ToString() => string.Join(" ", Words) + Terminator;
    }

    /// <summary>
    /// OSv's command grammar (core/commands.cc, the boost::spirit <c>command</c> rule of OSv v0.57), in
    /// two readings. <see cref="ParseAsKernel"/> reads text as the kernel does. <see cref="ParseBootCommand"/>
    /// reads a run.yaml boot command as OSv read it before v0.54, when <c>!</c> was an ordinary character:
    /// the seed's <c>/echo.so Hey hey!</c> means the argument <c>hey!</c>. Both readings, checked on the kernel:
    /// <list type="bullet">
    /// <item>A word is a double-quoted string (when its closing quote exists) or a run of characters other
    /// than space, <c>;</c> and <c>&amp;</c> (and, for the kernel, <c>!</c>). Tabs belong to words; a quote
    /// inside a plain word is an ordinary character; <c>"ab"cd</c> is two words.</item>
    /// <item>In both kinds, <c>\\ \" \' \a \b \f \n \r \t \v</c> are decoded; any other backslash is kept.</item>
    /// <item>A command ends at <c>;</c> (run, wait), <c>&amp;</c> (run in the background, wait at the end),
    /// <c>&amp;!</c> (background, not waited for) or <c>!</c> (run, then stop the threads it left; loader.cc).
    /// For a boot command <c>!</c> is that operator only as a word of its own or after <c>&amp;</c>.</item>
    /// <item>The kernel stops reading at a command with no word (<c>/a;; /b</c> runs only <c>/a</c>; a line that
    /// starts with <c>;</c> or <c>&amp;</c> fails to parse); a boot command's empty commands are dropped.</item>
    /// </list>
    /// </summary>
    internal static class OsvCommandGrammar
    {
        private const string Escapes = "abfnrtv\\'\"";
        private const string Decoded = "\a\b\f\n\r\t\v\\'\"";

        /// <summary>The commands OSv v0.57 reads from <paramref name="text"/>; <paramref name="complete"/> is false when it stops early or fails.</summary>
        public static IReadOnlyList<OsvCommand> ParseAsKernel(string text, out bool complete)
            => Parse(text, bootCommand: false, out complete);

        /// <summary>The commands a run.yaml boot command means (<c>!</c> inside or at the end of a word is data).</summary>
        public static IReadOnlyList<OsvCommand> ParseBootCommand(string text)
            => Parse(text, bootCommand: true, out _);

        /// <summary>
        /// <paramref name="bootCommand"/> written so that OSv v0.57 reads what <see cref="ParseBootCommand"/> means:
        /// each plain word holding a <c>!</c> is quoted, empty commands are dropped; the rest stays as written.
        /// </summary>
        public static string ForKernel(string bootCommand)
        {
            var sb = new StringBuilder();
            int copied = 0;
            foreach (var edit in Edits(bootCommand))
            {
                sb.Append(bootCommand, copied, edit.Start - copied).Append(edit.Replacement);
                copied = edit.End;
            }
            return sb.Append(bootCommand, copied, bootCommand.Length - copied).ToString();
        }

        /// <summary>
        /// <paramref name="value"/> as one word of a boot command: as it is when it holds only characters that mean
        /// nothing to OSv's command grammar, else quoted (a path with a space or ';' would be split otherwise).
        /// </summary>
        public static string Word(string value)
            => value.Length > 0 && value.All(c => c < 128 && (char.IsLetterOrDigit(c) || "/._-+=@%:,".IndexOf(c) >= 0)) ? value : Quote(value);

        /// <summary>A double-quoted word whose value is <paramref name="value"/>, for the command grammar.</summary>
        public static string Quote(string value)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in value)
            {
                int decoded = Decoded.IndexOf(c);
                if (decoded >= 0 && c != '\'')
                {
                    sb.Append('\\').Append(Escapes[decoded]);
                }
                else
                {
                    sb.Append(c);
                }
            }
            return sb.Append('"').ToString();
        }

        private struct Edit
        {
            public int Start;
            public int End;
            public string Replacement;
        }

        private static IEnumerable<Edit> Edits(string text)
        {
            int pos = 0;
            while (true)
            {
                SkipSpace(text, ref pos);
                if (pos >= text.Length)
                {
                    yield break;
                }
                int commandStart = pos;
                var words = new List<Edit>();
                while (ReadWord(text, ref pos, bootCommand: true) is OsvWord word)
                {
                    if (!word.Quoted && word.Text.IndexOf('!') >= 0)
                    {
                        words.Add(new Edit { Start = word.Start, End = pos, Replacement = Quote(word.Value) });
                    }
                    SkipSpace(text, ref pos);
                }
                int operatorStart = pos;
                ReadTerminator(text, ref pos, bootCommand: true);
                if (operatorStart == commandStart)
                {
                    if (pos == operatorStart)
                    {
                        yield break; // cannot happen: every other character starts a word
                    }
                    // A command with no word: the kernel would stop reading here. Drop its operator.
                    yield return new Edit { Start = operatorStart, End = pos, Replacement = "" };
                    continue;
                }
                foreach (var edit in words)
                {
                    yield return edit;
                }
            }
        }

        private static IReadOnlyList<OsvCommand> Parse(string text, bool bootCommand, out bool complete)
        {
            var commands = new List<OsvCommand>();
            complete = true;
            int pos = 0;
            while (true)
            {
                SkipSpace(text, ref pos);
                if (pos >= text.Length)
                {
                    return commands;
                }
                var words = new List<OsvWord>();
                while (ReadWord(text, ref pos, bootCommand) is OsvWord word)
                {
                    words.Add(word);
                    SkipSpace(text, ref pos);
                }
                string terminator = ReadTerminator(text, ref pos, bootCommand);
                if (words.Count > 0)
                {
                    commands.Add(new OsvCommand(words, terminator));
                }
                else if (!bootCommand || terminator.Length == 0)
                {
                    // OSv's lines of only blanks and ';' are empty; anything else stops the parse here.
                    complete = text.Substring(pos - terminator.Length).Trim(' ', '\f', '\n', '\r', '\t', '\v', ';').Length == 0;
                    return commands;
                }
            }
        }

        private static void SkipSpace(string text, ref int pos)
        {
            while (pos < text.Length && " \t\n\v\f\r".IndexOf(text[pos]) >= 0)
            {
                pos++;
            }
        }

        private static bool IsLoneBang(string text, int pos)
            => text[pos] == '!' && (pos + 1 == text.Length || " \t\n\v\f\r;&".IndexOf(text[pos + 1]) >= 0);

        private static OsvWord? ReadWord(string text, ref int pos, bool bootCommand)
        {
            int start = pos;
            if (pos < text.Length && text[pos] == '"')
            {
                var quoted = new StringBuilder();
                int i = pos + 1;
                while (i < text.Length)
                {
                    if (TryEscape(text, i, out char decoded))
                    {
                        quoted.Append(decoded);
                        i += 2;
                    }
                    else if (text[i] == '"')
                    {
                        pos = i + 1;
                        return new OsvWord(text.Substring(start, pos - start), quoted.ToString(), true, start);
                    }
                    else
                    {
                        quoted.Append(text[i++]);
                    }
                }
                // No closing quote: the plain reading takes the quote as an ordinary character.
            }
            if (bootCommand && pos < text.Length && IsLoneBang(text, pos))
            {
                return null;
            }
            var plain = new StringBuilder();
            while (pos < text.Length)
            {
                char c = text[pos];
                if (TryEscape(text, pos, out char decoded))
                {
                    plain.Append(decoded);
                    pos += 2;
                }
                else if (c == ' ' || c == ';' || c == '&' || (c == '!' && !bootCommand))
                {
                    break;
                }
                else
                {
                    plain.Append(c);
                    pos++;
                }
            }
            return pos == start ? null : new OsvWord(text.Substring(start, pos - start), plain.ToString(), false, start);
        }

        private static bool TryEscape(string text, int pos, out char decoded)
        {
            decoded = '\0';
            int index = text[pos] == '\\' && pos + 1 < text.Length ? Escapes.IndexOf(text[pos + 1]) : -1;
            if (index < 0)
            {
                return false;
            }
            decoded = Decoded[index];
            return true;
        }

        private static string ReadTerminator(string text, ref int pos, bool bootCommand)
        {
            if (pos >= text.Length)
            {
                return "";
            }
            string terminator = text[pos] == ';' ? ";"
                : text[pos] == '&' ? (pos + 1 < text.Length && text[pos + 1] == '!' ? "&!" : "&")
                : text[pos] == '!' && (!bootCommand || IsLoneBang(text, pos)) ? "!"
                : "";
            pos += terminator.Length;
            return terminator;
        }
    }
}
