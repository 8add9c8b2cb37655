using System;
using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>A named boot command of a project's <c>meta/run.yaml</c>.</summary>
    public sealed class ConfigSet
    {
        public ConfigSet(string name, string? bootCommand, IReadOnlyDictionary<string, string>? env = null, string? @base = null, RuntimeLaunch? launch = null)
        {
            Launch = launch;
            Name = name ?? throw new ArgumentNullException(nameof(name));
            BootCommand = bootCommand;
            Env = new SortedDictionary<string, string>(
                (env ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                StringComparer.Ordinal);
            Base = @base;
        }

        /// <summary>The set's name; it becomes <c>/run/&lt;Name&gt;</c> in the image.</summary>
        public string Name { get; }

        /// <summary>The command OSv runs, as written (null when the set inherits through <see cref="Base"/> or starts a runtime's <see cref="Launch"/>).</summary>
        public string? BootCommand { get; }

        /// <summary>Environment variables, in ordinal key order.</summary>
        public IReadOnlyDictionary<string, string> Env { get; }

        /// <summary><c>package:configset</c> this set inherits its boot command from, or null.</summary>
        public string? Base { get; }

        /// <summary>For a set of a java, node or python run.yaml: the runtime's keys, from which the build makes the boot command; else null.</summary>
        public RuntimeLaunch? Launch { get; }

        public override string ToString() => Name;
    }
}
