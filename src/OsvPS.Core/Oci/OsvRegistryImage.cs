using System;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// An OsvPS image in an OCI registry: what Publish-OsvImage pushed, or what Find-OsvImage -Reference
    /// read back from the manifest and its config's labels. A tag from a listing carries only its name.
    /// </summary>
    public sealed class OsvRegistryImage
    {
        public OsvRegistryImage(ImageReference reference, string? digest, OsvImageLabels? labels, long? size, int? blobsSent = null, int? blobsSkipped = null)
        {
            ReferenceValue = reference;
            Digest = digest;
            Labels = labels;
            Size = size;
            BlobsSent = blobsSent;
            BlobsSkipped = blobsSkipped;
        }

        internal ImageReference ReferenceValue { get; }
        internal OsvImageLabels? Labels { get; }

        /// <summary>registry/repository:tag as given (what docker, skopeo and KubeVirt take).</summary>
        public string Reference => ReferenceValue.ToString();
        public string Registry => ReferenceValue.Registry;
        public string Repository => ReferenceValue.Repository;
        public string? Tag => ReferenceValue.Tag;

        /// <summary>The manifest digest; null for a tag from a listing.</summary>
        public string? Digest { get; }

        /// <summary>registry/repository@digest: the reference that never moves (null without a digest).</summary>
        public string? PinnedReference => Digest == null ? null : ReferenceValue.Name + "@" + Digest;

        /// <summary>The bytes of the manifest's config and layers.</summary>
        public long? Size { get; }

        /// <summary>The OsvPS image name it was published from.</summary>
        public string? ImageName => Labels?.ImageName;
        public string? CommandLine => Labels?.CommandLine;
        public string[] ConfigSets => Labels?.ConfigSets ?? new string[0];
        /// <summary>Kernel when the image carries its kernel (boot straight into it), else Disk.</summary>
        public string? BootMode => Labels == null ? null : Labels.KernelPath != null ? "Kernel" : "Disk";
        public string? Platform => Labels?.Platform;
        public string? Version => Labels?.Version;
        public DateTime? Created => Labels?.Created;
        /// <summary>Where the disk is in the container image (a KubeVirt containerDisk's path).</summary>
        public string? DiskPath => Labels?.DiskPath;
        public string? DiskFormat => Labels?.DiskFormat;
        /// <summary>The SHA-256 of the disk file as published: a pulled image has the same.</summary>
        public string? DiskSha256 => Labels?.DiskSha256;
        /// <summary>Where the kernel is in the container image (KubeVirt's kernelBoot kernelPath); null without one.</summary>
        public string? KernelPath => Labels?.KernelPath;

        /// <summary>Blobs a push sent; null when this image was not pushed by this call.</summary>
        public int? BlobsSent { get; }
        /// <summary>Blobs a push found the registry already had (not sent again).</summary>
        public int? BlobsSkipped { get; }

        public override string ToString() => Reference;
    }
}
