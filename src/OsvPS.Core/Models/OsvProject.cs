using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>A project folder: its tree becomes the guest's <c>/</c>, <c>meta/</c> describes it.</summary>
    public sealed class OsvProject
    {
        public OsvProject(string path, PackageManifest? package, RunConfig? run, string name)
        {
            Path = path;
            Package = package;
            Run = run;
            Name = name;
        }

        /// <summary>The package name (the folder's name when there is no package.yaml).</summary>
        public string Name { get; }

        /// <summary>Full path of the project folder.</summary>
        public string Path { get; }

        public string? Title => Package?.Title;
        public string? Author => Package?.Author;
        public string? Version => Package?.Version;
        public TextList Require => TextList.Of(Package?.Require);

        /// <summary>The run.yaml runtime, or null when the project has no run.yaml.</summary>
        public string? Runtime => Run?.Runtime;

        public ReadableList<ConfigSet> ConfigSets => new ReadableList<ConfigSet>(Run?.ConfigSets);

        /// <summary>The names in <c>config_set_default</c>.</summary>
        public TextList DefaultConfigSet => TextList.Of(Run?.DefaultConfigSets);

        /// <summary>The parsed package.yaml, or null when the project has none.</summary>
        public PackageManifest? Package { get; }

        /// <summary>The parsed run.yaml, or null when the project has none.</summary>
        public RunConfig? Run { get; }

        public override string ToString() => Path;
    }
}
