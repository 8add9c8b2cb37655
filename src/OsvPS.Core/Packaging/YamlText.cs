using System.Globalization;
using System.Text;

namespace OsvPS.Core.Packaging
{
    /// <summary>Writes YAML scalars so any text reads back unchanged.</summary>
    internal static class YamlText
    {
        private static readonly System.Text.RegularExpressions.Regex PlainKey =
            new System.Text.RegularExpressions.Regex("^[A-Za-z_][A-Za-z0-9_.-]*$");

        /// <summary>A mapping key: plain when that reads back as the same text, quoted otherwise.</summary>
        public static string Key(string key)
            => PlainKey.IsMatch(key) && key != "null" && key != "true" && key != "false" && key != "yes" && key != "no" && key != "on" && key != "off" ? key : Quote(key);

        public static string Quote(string value)
        {
            var sb = new StringBuilder(value.Length + 2);
            sb.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20 || c == 0x7f)
                        {
                            sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            return sb.Append('"').ToString();
        }
    }
}
