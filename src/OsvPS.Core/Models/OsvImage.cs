using System;
using OsvPS.Core.Disk;

namespace OsvPS.Core.Models
{
    /// <summary>An image in the repository (OsvPS's or Capstan's).</summary>
    public sealed class OsvImage
    {
        public OsvImage(string name, string path, DiskFormat format, long? virtualSize, long fileSize, DateTime? created,
            string? description, string? version, string? platform, string? build)
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
        /// <summary>Full path of the image file.</summary>
        public string Path { get; }

        public override string ToString() => Name;
    }
}
