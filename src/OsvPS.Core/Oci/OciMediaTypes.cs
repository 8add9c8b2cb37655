using System;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// The media types of the OCI image and distribution specs (and Docker's schema 2, which registries
    /// still serve) that OsvPS writes or reads.
    /// </summary>
    internal static class OciMediaTypes
    {
        public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
        public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
        public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
        public const string Layer = "application/vnd.oci.image.layer.v1.tar";
        public const string LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
        public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
        public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
        public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
        public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
        public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";

        /// <summary>What a pull asks for: the manifests OsvPS reads, an index first-class.</summary>
        public static readonly string[] Accepted = { ImageManifest, DockerManifest, ImageIndex, DockerManifestList };

        public static bool IsIndex(string mediaType) => mediaType == ImageIndex || mediaType == DockerManifestList;

        public static bool IsManifest(string mediaType) => mediaType == ImageManifest || mediaType == DockerManifest;

        /// <summary>True for a gzip layer, false for a plain tar one; null for a layer OsvPS cannot unpack (zstd, foreign).</summary>
        public static bool? IsGzipLayer(string mediaType)
        {
            if (mediaType == Layer || mediaType == DockerLayer)
            {
                return false;
            }
            if (mediaType == LayerGzip || mediaType == DockerLayerGzip)
            {
                return true;
            }
            return null;
        }

        /// <summary>A Content-Type without its parameters (<c>; charset=...</c>).</summary>
        public static string Bare(string? contentType)
        {
            if (string.IsNullOrEmpty(contentType))
            {
                return "";
            }
            int semicolon = contentType!.IndexOf(';');
            return (semicolon < 0 ? contentType : contentType.Substring(0, semicolon)).Trim().ToLowerInvariant();
        }
    }
}
