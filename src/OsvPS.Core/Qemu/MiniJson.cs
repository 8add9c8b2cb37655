using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace OsvPS.Core.Qemu
{
    /// <summary>
    /// A small JSON reader for QMP's replies and the release API (objects become dictionaries,
    /// arrays lists, numbers doubles). .NET Standard 2.0 has no JSON parser of its own.
    /// </summary>
    public static class MiniJson
    {
        public static object? Parse(string text)
        {
            int at = 0;
            var value = Value(text, ref at);
            Skip(text, ref at);
            if (at != text.Length)
            {
                throw new FormatException($"unexpected '{text[at]}' after the JSON value at {at}.");
            }
            return value;
        }

        private static object? Value(string s, ref int at)
        {
            Skip(s, ref at);
            if (at >= s.Length)
            {
                throw new FormatException("the JSON text ends early.");
            }
            char c = s[at];
            switch (c)
            {
                case '{':
                    var obj = new Dictionary<string, object?>(StringComparer.Ordinal);
                    at++;
                    Skip(s, ref at);
                    if (Peek(s, at) == '}') { at++; return obj; }
                    while (true)
                    {
                        Skip(s, ref at);
                        string key = String(s, ref at);
                        Skip(s, ref at);
                        Expect(s, ref at, ':');
                        obj[key] = Value(s, ref at);
                        Skip(s, ref at);
                        if (Peek(s, at) == ',') { at++; continue; }
                        Expect(s, ref at, '}');
                        return obj;
                    }
                case '[':
                    var list = new List<object?>();
                    at++;
                    Skip(s, ref at);
                    if (Peek(s, at) == ']') { at++; return list; }
                    while (true)
                    {
                        list.Add(Value(s, ref at));
                        Skip(s, ref at);
                        if (Peek(s, at) == ',') { at++; continue; }
                        Expect(s, ref at, ']');
                        return list;
                    }
                case '"':
                    return String(s, ref at);
                case 't': Word(s, ref at, "true"); return true;
                case 'f': Word(s, ref at, "false"); return false;
                case 'n': Word(s, ref at, "null"); return null;
                default:
                    int start = at;
                    while (at < s.Length && "+-0123456789.eE".IndexOf(s[at]) >= 0) at++;
                    if (start == at || !double.TryParse(s.Substring(start, at - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                    {
                        throw new FormatException($"unexpected '{c}' at {start}.");
                    }
                    return d;
            }
        }

        private static string String(string s, ref int at)
        {
            Expect(s, ref at, '"');
            var sb = new StringBuilder();
            while (true)
            {
                if (at >= s.Length) throw new FormatException("a JSON string is not closed.");
                char c = s[at++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                if (at >= s.Length) throw new FormatException("a JSON escape ends early.");
                char e = s[at++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        if (at + 4 > s.Length) throw new FormatException("a \\u escape ends early.");
                        sb.Append((char)int.Parse(s.Substring(at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        at += 4;
                        break;
                    default: sb.Append(e); break;
                }
            }
        }

        private static void Word(string s, ref int at, string word)
        {
            if (string.CompareOrdinal(s, at, word, 0, word.Length) != 0) throw new FormatException($"unexpected text at {at}.");
            at += word.Length;
        }

        private static void Expect(string s, ref int at, char c)
        {
            if (Peek(s, at) != c) throw new FormatException($"expected '{c}' at {at}.");
            at++;
        }

        private static char Peek(string s, int at) => at < s.Length ? s[at] : '\0';

        private static void Skip(string s, ref int at)
        {
            while (at < s.Length && char.IsWhiteSpace(s[at])) at++;
        }

        /// <summary>Writes a string as a JSON string literal.</summary>
        public static string Quote(string value)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in value)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }
    }
}
