using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OsvPS.Core.Yaml
{
    /// <summary>
    /// A small read-only view over one YAML document that reports every problem with the file,
    /// line and column, so a user can go straight to it. Keeps YamlDotNet out of the public API.
    /// </summary>
    internal sealed class YamlDocument
    {
        private readonly string source;
        private readonly ErrorId errorId;

        private YamlDocument(string source, ErrorId errorId, YamlMappingNode root)
        {
            this.source = source;
            this.errorId = errorId;
            Root = root;
        }

        public YamlMappingNode Root { get; }

        /// <summary>Parses <paramref name="text"/>; an empty document gives an empty mapping.</summary>
        /// <summary>The deepest nesting a YAML file of OsvPS's may have; deeper input is refused before it is loaded.</summary>
        public const int MaxDepth = 64;

        public static YamlDocument Parse(string text, string source, ErrorId errorId)
        {
            var stream = new YamlStream();
            try
            {
                CheckDepth(text, source, errorId);
                stream.Load(new StringReader(text));
            }
            catch (YamlException e)
            {
                throw new OsvException(errorId, OsvErrorKind.ParserError,
                    $"{source}:{e.Start.Line}:{e.Start.Column}: {Describe(e)}", source, e);
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                return new YamlDocument(source, errorId, new YamlMappingNode());
            }
            if (stream.Documents.Count > 1)
            {
                throw new OsvException(errorId, OsvErrorKind.ParserError,
                    $"{source}: holds {stream.Documents.Count} YAML documents; expected one.", source);
            }
            if (!(stream.Documents[0].RootNode is YamlMappingNode root))
            {
                var node = stream.Documents[0].RootNode;
                throw new OsvException(errorId, OsvErrorKind.ParserError,
                    $"{source}:{node.Start.Line}:{node.Start.Column}: expected a mapping of keys to values at the top level.", source);
            }
            return new YamlDocument(source, errorId, root);
        }

        // YamlDotNet builds its node tree recursively: a 60,000-deep document would end the process with
        // a stack overflow. The parser's events are read flat first, and nesting beyond MaxDepth stops there.
        private static void CheckDepth(string text, string source, ErrorId errorId)
        {
            var parser = new YamlDotNet.Core.Parser(new StringReader(text));
            int depth = 0;
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case YamlDotNet.Core.Events.MappingStart _:
                    case YamlDotNet.Core.Events.SequenceStart _:
                        if (++depth > MaxDepth)
                        {
                            throw new OsvException(errorId, OsvErrorKind.LimitsExceeded,
                                $"{source}:{parser.Current.Start.Line}:{parser.Current.Start.Column}: nests deeper than {MaxDepth} levels.", source);
                        }
                        break;
                    case YamlDotNet.Core.Events.MappingEnd _:
                    case YamlDotNet.Core.Events.SequenceEnd _:
                        depth--;
                        break;
                }
            }
        }

        private static string Describe(YamlException e)
        {
            string message = e.InnerException?.Message ?? e.Message;
            // YamlDotNet prefixes its own position; ours is already in front.
            int close = message.IndexOf("): ", System.StringComparison.Ordinal);
            return message.StartsWith("(Line", System.StringComparison.Ordinal) && close > 0 ? message.Substring(close + 3) : message;
        }

        public OsvException Error(YamlNode node, string message, OsvErrorKind kind = OsvErrorKind.InvalidData, ErrorId? id = null)
            => new OsvException(id ?? errorId, kind, $"{source}:{node.Start.Line}:{node.Start.Column}: {message}", source);

        public IEnumerable<KeyValuePair<string, YamlNode>> Entries(YamlMappingNode mapping)
        {
            foreach (var pair in mapping.Children)
            {
                if (!(pair.Key is YamlScalarNode key) || key.Value == null)
                {
                    throw Error(pair.Key, "keys must be plain text.");
                }
                yield return new KeyValuePair<string, YamlNode>(key.Value, pair.Value);
            }
        }

        public YamlNode? Get(YamlMappingNode mapping, string key)
            => Entries(mapping).Where(e => e.Key == key).Select(e => e.Value).FirstOrDefault();

        /// <summary>The scalar at <paramref name="key"/>, null when absent or empty; an error when it is not a scalar.</summary>
        public string? Scalar(YamlMappingNode mapping, string key)
        {
            var node = Get(mapping, key);
            return node == null ? null : Scalar(node, key);
        }

        public string? Scalar(YamlNode node, string what)
        {
            if (node is YamlScalarNode scalar)
            {
                return IsNull(scalar) ? null : scalar.Value;
            }
            throw Error(node, $"'{what}' must be a single value, not a {(node is YamlSequenceNode ? "list" : "mapping")}.");
        }

        public YamlMappingNode? Mapping(YamlMappingNode mapping, string key)
        {
            var node = Get(mapping, key);
            if (node == null || node is YamlScalarNode s && IsNull(s))
            {
                return null;
            }
            return node as YamlMappingNode ?? throw Error(node, $"'{key}' must be a mapping of names to values.");
        }

        /// <summary>A list given as a YAML sequence or as one comma-separated scalar.</summary>
        public IReadOnlyList<string> List(YamlMappingNode mapping, string key)
        {
            var node = Get(mapping, key);
            switch (node)
            {
                case null:
                    return new string[0];
                case YamlScalarNode scalar:
                    return IsNull(scalar) ? new string[0] : SplitList(scalar.Value!);
                case YamlSequenceNode sequence:
                    return sequence.Children.Select(c => Scalar(c, key)).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToArray();
                default:
                    throw Error(node, $"'{key}' must be a list.");
            }
        }

        internal static string[] SplitList(string value)
            => value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();

        // An unquoted empty value, ~ or null means "no value"; a quoted "" is an empty string.
        private static bool IsNull(YamlScalarNode scalar)
            => scalar.Style == ScalarStyle.Plain && (scalar.Value == null || scalar.Value.Length == 0 || scalar.Value == "~" || scalar.Value == "null");
    }
}
