using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Packaging
{
    /// <summary>
    /// How OSv reads a command line, and so how OsvPS writes one. OSv uses two grammars, one after
    /// the other (checked on OSv v0.57):
    /// <list type="number">
    /// <item>Loader options (core/commands.cc, loader_parse_cmdline): leading tokens starting with
    /// <c>-</c>, split on space, tab and newline; a backslash takes the next character literally.
    /// Hard env (<c>--env=K=V</c>) goes here and is handed to putenv as it is.</item>
    /// <item>Commands (core/commands.cc, the boost::spirit grammar, and runscript for
    /// <c>/run/&lt;name&gt;</c> files): a token is a plain run of characters other than space,
    /// <c>;</c>, <c>&amp;</c> and <c>!</c>, or a double-quoted string; both decode
    /// <c>\\ \" \' \a \b \f \n \r \t \v</c>. Soft env (<c>--env=K?=V</c>) goes here; runscript
    /// then expands <c>$NAME</c> in its value (expand_environ_vars), with no escape for <c>$</c>.
    /// <see cref="OsvCommandGrammar"/> reads and writes this grammar.</item>
    /// </list>
    /// OSv v0.57's parser page-faults on bytes above 0x7F, and neither grammar carries NUL or line
    /// breaks, so those are refused before anything is written.
    /// </summary>
    internal static class OsvCommandLine
    {
        /// <summary>Characters a soft-env value may hold without quotes.</summary>
        private static bool IsPlain(char c)
            => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "_-./:,+=@%".IndexOf(c) >= 0;

        /// <summary>A soft env token for a /run file (<c>--env=K?=V</c>): plain when it can be, else quoted.</summary>
        public static string SoftEnvToken(string key, string value)
        {
            string token = "--env=" + key + "?=" + value;
            foreach (char c in value)
            {
                if (!IsPlain(c))
                {
                    return "\"" + token.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
                }
            }
            return token;
        }

        /// <summary>A hard env token for the loader options (<c>--env=K=V</c>), with space, tab and backslash escaped.</summary>
        public static string HardEnvToken(string key, string value)
        {
            var sb = new StringBuilder("--env=").Append(key).Append('=');
            foreach (char c in value)
            {
                if (c == ' ' || c == '\t' || c == '\\')
                {
                    sb.Append('\\');
                }
                sb.Append(c);
            }
            return sb.ToString();
        }

        /// <summary>
        /// What follows the loader options of <paramref name="commandLine"/> (core/commands.cc,
        /// loader_parse_cmdline): leading tokens starting with <c>-</c>, ended by an unescaped space, tab or newline.
        /// </summary>
        public static string ApplicationPart(string commandLine)
        {
            int pos = 0;
            while (true)
            {
                while (pos < commandLine.Length && " \t\n".IndexOf(commandLine[pos]) >= 0)
                {
                    pos++;
                }
                if (pos >= commandLine.Length || commandLine[pos] != '-')
                {
                    return commandLine.Substring(pos);
                }
                while (pos < commandLine.Length && " \t\n".IndexOf(commandLine[pos]) < 0)
                {
                    pos += commandLine[pos] == '\\' ? 2 : 1;
                }
            }
        }

        /// <summary>
        /// False when OSv would find nothing to run in <paramref name="commandLine"/>: no text after the loader
        /// options but blanks and <c>;</c> (loader.cc: "This image has an empty command line. Nothing to run.").
        /// </summary>
        public static bool HasCommand(string commandLine)
            => ApplicationPart(commandLine).Trim(' ', '\f', '\n', '\r', '\t', '\v', ';').Length > 0;

        /// <summary>
        /// Why <paramref name="text"/> cannot reach OSv intact, or null when it can: a character that is
        /// not printable ASCII (tab excepted).
        /// </summary>
        public static string? Problem(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '\0')
                {
                    return "a NUL character, which would end it early";
                }
                if (c == '\n' || c == '\r')
                {
                    return "a line break, which OSv's command line cannot carry";
                }
                if (c > '~')
                {
                    return $"the non-ASCII character '{c}' (U+{(int)c:X4}), which crashes OSv's command-line parser";
                }
                if (c < ' ' && c != '\t')
                {
                    return $"the control character U+{(int)c:X4}, which OSv's command line cannot carry";
                }
            }
            return null;
        }

        /// <summary>Refuses <paramref name="text"/> when it cannot reach OSv intact; <paramref name="what"/> names it in the error.</summary>
        public static void Check(string text, string what, ErrorId errorId)
        {
            string? problem = Problem(text);
            if (problem != null)
            {
                throw new OsvException(errorId, OsvErrorKind.InvalidArgument, $"{what} contains {problem}.", text);
            }
        }
    }
}
