using System;
using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>The content of a <c>meta/package.yaml</c> (and of a package's <c>&lt;name&gt;.yaml</c>).</summary>
    public sealed class PackageManifest
    {
        public PackageManifest(string name, string? title, string? author, string? version,
            IEnumerable<string>? require = null, string? created = null, string? platform = null)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Title = title;
            Author = author;
            Version = version;
            Require = (require ?? Enumerable.Empty<string>()).ToArray();
            Created = created;
            Platform = platform;
        }

        public string Name { get; }
        public string? Title { get; }
        public string? Author { get; }
        public string? Version { get; }
        public IReadOnlyList<string> Require { get; }
        public string? Created { get; }
        public string? Platform { get; }

        /// <summary>How it reads in a table or a CSV cell: its name and version.</summary>
        public override string ToString() => Version == null ? Name : Name + " " + Version;
    }
}
