using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>The content of a <c>meta/run.yaml</c>.</summary>
    public sealed class RunConfig
    {
        public RunConfig(string runtime, IEnumerable<ConfigSet> configSets, IEnumerable<string>? defaultConfigSets = null)
        {
            Runtime = runtime;
            ConfigSets = configSets.ToArray();
            DefaultConfigSets = (defaultConfigSets ?? Enumerable.Empty<string>()).ToArray();
        }

        /// <summary>The runtime: <c>native</c>, <c>java</c>, <c>node</c> or <c>python</c>.</summary>
        public string Runtime { get; }

        /// <summary>Config sets in the order the file lists them.</summary>
        public IReadOnlyList<ConfigSet> ConfigSets { get; }

        /// <summary>The names of <c>config_set_default</c> (empty when the file has none).</summary>
        public IReadOnlyList<string> DefaultConfigSets { get; }

        public ConfigSet? Find(string name) => ConfigSets.FirstOrDefault(c => c.Name == name);

        /// <summary>How it reads in a table or a CSV cell: the runtime and its config sets.</summary>
        public override string ToString() => ConfigSets.Count == 0 ? Runtime : Runtime + ": " + string.Join(", ", ConfigSets.Select(c => c.Name));
    }
}
