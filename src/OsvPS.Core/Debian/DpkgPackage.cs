using System;
using System.Collections.Generic;

namespace OsvPS.Core.Debian
{
    /// <summary>A configuration file a package installed (its <c>Conffiles</c> entry in dpkg's status).</summary>
    internal sealed class DebianConffile
    {
        public DebianConffile(string path, bool obsolete)
        {
            Path = path;
            Obsolete = obsolete;
        }

        public string Path { get; }
        /// <summary>No longer shipped by the package's current version (dpkg keeps it until purged).</summary>
        public bool Obsolete { get; }
    }

    /// <summary>One package stanza of dpkg's status file, with the fields OsvPS uses.</summary>
    public sealed class DpkgPackage
    {
        private static readonly HashSet<string> FilesPresentStates = new HashSet<string>(StringComparer.Ordinal) { "installed", "triggers-awaited", "triggers-pending" };

        internal DpkgPackage(string name, string architecture, string version, string section, string priority, bool essential, string state,
            IReadOnlyList<IReadOnlyList<DebianRelation>> depends, IReadOnlyList<DebianRelation> provides, IReadOnlyList<DebianConffile> conffiles)
        {
            Name = name;
            Architecture = architecture;
            Version = version;
            Section = section;
            Priority = priority;
            Essential = essential;
            State = state;
            Depends = depends;
            Provides = provides;
            Conffiles = conffiles;
        }

        public string Name { get; }
        /// <summary><c>amd64</c>, <c>all</c>, ...; empty when the stanza has none.</summary>
        public string Architecture { get; }
        public string Version { get; }
        /// <summary>The section without its archive area (<c>python</c> for <c>contrib/python</c>).</summary>
        public string Section { get; }
        public string Priority { get; }
        /// <summary>Part of every Debian system (<c>Essential: yes</c>).</summary>
        public bool Essential { get; }
        /// <summary>The third word of <c>Status</c>: installed, config-files, half-installed, ...</summary>
        public string State { get; }
        /// <summary>Pre-Depends then Depends: each group is satisfied by any of its alternatives.</summary>
        internal IReadOnlyList<IReadOnlyList<DebianRelation>> Depends { get; }
        internal IReadOnlyList<DebianRelation> Provides { get; }
        internal IReadOnlyList<DebianConffile> Conffiles { get; }

        /// <summary>True when dpkg has the package's files on the disk and configured.</summary>
        public bool IsInstalled => FilesPresentStates.Contains(State);

        public override string ToString() => Name;
    }
}
