using System;

namespace OsvPS.Core.Models
{
    /// <summary>A package: in <c>&lt;root&gt;/packages/</c>, or offered by a release.</summary>
    public sealed class OsvPackage
    {
        public OsvPackage(string name, string? title, string? version, string? author, string[] require, string? path, long? size,
            DateTime? created, string? release, string? url)
        {
            Name = name;
            Title = title;
            Version = version;
            Author = author;
            Require = TextList.Of(require);
            Path = path;
            Size = size;
            Created = created;
            Release = release;
            Url = url;
        }

        public string Name { get; }
        public string? Title { get; }
        public string? Version { get; }
        public string? Author { get; }
        public TextList Require { get; }
        /// <summary>The local .mpm file (null for a remote package).</summary>
        public string? Path { get; }
        public long? Size { get; }
        public DateTime? Created { get; }
        /// <summary>The release tag that offers it (remote packages).</summary>
        public string? Release { get; }
        public string? Url { get; }

        public override string ToString() => Name;
    }

    /// <summary>A loader a release offers (Find-OsvImage).</summary>
    public sealed class OsvRemoteImage
    {
        public OsvRemoteImage(string name, string variant, string release, string asset, long? size, string url, string? kernelAsset)
        {
            Name = name;
            Variant = variant;
            Release = release;
            Asset = asset;
            Size = size;
            Url = url;
            KernelAsset = kernelAsset;
        }

        public string Name { get; }
        /// <summary><c>default</c>, <c>hidden</c>, <c>microvm</c> or <c>with-zfs</c>.</summary>
        public string Variant { get; }
        public string Release { get; }
        public string Asset { get; }
        public long? Size { get; }
        public string Url { get; }
        /// <summary>The matching kernel ELF asset, when the release has one.</summary>
        public string? KernelAsset { get; }

        public override string ToString() => Name;
    }
}
