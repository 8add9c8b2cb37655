using System;
using OsvPS.Core.Disk;

namespace OsvPS.Core.Models
{
    /// <summary>An image in the repository (OsvPS's or Capstan's).</summary>
    public sealed class OsvImage
    {
        public OsvImage(string name, string path, DiskFormat format, long? virtualSize, long fileSize, DateTime? created,
            string? description, string? version, string? platform, string? build, string? commandLine = null, string[]? configSets = null)
        {
            Name = name;
            Path = path;
            Format = format;
            VirtualSize = virtualSize;
            FileSize = fileSize;
            Created = created;
            Description = description;
            Version = version;
            Platform = platform;
            Build = build;
            CommandLine = commandLine;
            ConfigSets = TextList.Of(configSets);
        }

        /// <summary>The repository name, e.g. <c>demo</c> or <c>mike/osv-loader</c>.</summary>
        public string Name { get; }
        public DiskFormat Format { get; }
        /// <summary>The disk's size as the guest sees it, in bytes.</summary>
        public long? VirtualSize { get; }
        /// <summary>The size of the file on the host, in bytes.</summary>
        public long FileSize { get; }
        public DateTime? Created { get; }
        public string? Description { get; }
        public string? Version { get; }
        public string? Platform { get; }
        public string? Build { get; }
        /// <summary>The OSv command line stored in the image (null when it cannot be read, e.g. vmdk).</summary>
        public string? CommandLine { get; }
        /// <summary>The config sets the image can run (<c>/run</c> in its file system): what <c>-Boot</c> may name.</summary>
        public TextList ConfigSets { get; }
        /// <summary>Full path of the image file.</summary>
        public string Path { get; }

        public override string ToString() => Name;
    }
}
