using System.Collections.Generic;
using System.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OsvPS.Core.Yaml
{
    /// <summary>
    /// Writes the YAML files OsvPS makes (package.yaml, run.yaml, index.yaml) through YamlDotNet's
    /// emitter: one block mapping, keys plain, every value a double-quoted string, so that any text
    /// reads back unchanged and the same data always gives the same bytes.
    /// </summary>
    internal sealed class YamlWriter
    {
        private readonly StringWriter text = new StringWriter { NewLine = "\n" };
        private readonly Emitter emitter;

        public YamlWriter()
        {
            emitter = new Emitter(text, new EmitterSettings(2, int.MaxValue, false, 1024, false, false, "\n"));
            emitter.Emit(new StreamStart());
            emitter.Emit(new DocumentStart(null, null, true));
            emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
        }

        /// <summary><c>key: "value"</c>; nothing when <paramref name="value"/> is null.</summary>
        public YamlWriter Value(string key, string? value)
        {
            if (value != null)
            {
                Key(key);
                emitter.Emit(new Scalar(null, null, value, ScalarStyle.DoubleQuoted, false, true));
            }
            return this;
        }

        /// <summary>A block list of quoted strings; nothing when it is empty.</summary>
        public YamlWriter List(string key, IReadOnlyCollection<string> values)
        {
            if (values.Count > 0)
            {
                Key(key);
                emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
                foreach (string value in values)
                {
                    emitter.Emit(new Scalar(null, null, value, ScalarStyle.DoubleQuoted, false, true));
                }
                emitter.Emit(new SequenceEnd());
            }
            return this;
        }

        /// <summary>A nested mapping under <paramref name="key"/>, filled by <paramref name="body"/>.</summary>
        public YamlWriter Map(string key, System.Action<YamlWriter> body)
        {
            Key(key);
            emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
            body(this);
            emitter.Emit(new MappingEnd());
            return this;
        }

        // Keys are plain when YamlDotNet can write them so, quoted otherwise ("a b", "yes").
        private void Key(string key) => emitter.Emit(new Scalar(null, null, key, ScalarStyle.Any, true, false));

        /// <summary>The document written so far, ended.</summary>
        public override string ToString()
        {
            emitter.Emit(new MappingEnd());
            emitter.Emit(new DocumentEnd(true));
            emitter.Emit(new StreamEnd());
            return text.ToString();
        }
    }
}
