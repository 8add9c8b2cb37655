using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>How to read an image: the registry's options, and where its layers are downloaded to.</summary>
    public sealed class ContainerReadOptions
    {
        /// <summary>Credentials, TLS and plain HTTP for a registry source.</summary>
        public RegistryOptions Registry { get; set; } = new RegistryOptions();

        /// <summary>
        /// The folder a registry's layers are downloaded to (in its <c>blobs</c> folder, resumable, each one removed once
        /// unpacked); required for a registry source. It may be a link; a folder inside it that is a link is refused.
        /// </summary>
        public string? CacheFolder { get; set; }

        /// <summary>Bytes of each layer downloaded so far (on the caller's thread).</summary>
        public IProgress<TransferProgress>? Progress { get; set; }
    }

    /// <summary>Opens a container image from any <see cref="ContainerSource"/>: its manifest (linux/amd64) and config, checked.</summary>
    public static class ContainerImageReader
    {
        public static ContainerImage Open(ContainerSource source, ContainerReadOptions options, CancellationToken cancellation)
        {
            switch (source.Kind)
            {
                case ContainerSourceKind.OciLayout:
                    return OciLayoutImage.Open(source);
                case ContainerSourceKind.DockerArchive:
                    return DockerArchiveImage.Open(source);
                default:
                    return RegistryImage.Open(source, options, cancellation);
            }
        }

        /// <summary>The image of a manifest whose config (checked) is <paramref name="configBytes"/>: a linux/amd64 container image.</summary>
        internal static ContainerImage Build(ContainerSource source, string digest, string? tag, byte[] configBytes, IReadOnlyList<OciDescriptor> layers, IContainerBlobs blobs)
        {
            var config = ContainerConfig.Parse(configBytes, why => Invalid(source, why));
            if (config.Platform != null && config.Platform != "linux/amd64")
            {
                throw Invalid(source, $"it is a {config.Platform} image; OsvPS runs linux/amd64 ones");
            }
            if (config.DiffIds.Count != 0 && config.DiffIds.Count != layers.Count)
            {
                throw Invalid(source, $"its config names {config.DiffIds.Count} layers and its manifest {layers.Count}");
            }
            var result = new List<ContainerLayer>();
            for (int i = 0; i < layers.Count; i++)
            {
                if (OciMediaTypes.IsGzipLayer(layers[i].MediaType) == null)
                {
                    throw Invalid(source, $"layer {i + 1} is '{layers[i].MediaType}' (OsvPS unpacks tar and tar+gzip layers)");
                }
                result.Add(new ContainerLayer(layers[i].Digest.Length == 0 ? null : layers[i].Digest, layers[i].Size, layers[i].MediaType, config.DiffIds.Count == 0 ? null : config.DiffIds[i]));
            }
            return new ContainerImage(source, digest, tag, config, result, blobs);
        }

        internal static OsvException Invalid(ContainerSource source, string why)
            => new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.InvalidData, $"'{source}' is not a container image OsvPS reads: {why}.", source.Text);

        internal static OsvException NotFound(ContainerSource source, string why)
            => new OsvException(ErrorIds.ContainerImageNotFound, OsvErrorKind.ObjectNotFound, $"'{source}' was not found: {why}.", source.Text);

        internal static OsvException Mismatch(ContainerSource source, string what, string expected, string actual)
            => new OsvException(ErrorIds.OciDigestMismatch, OsvErrorKind.InvalidData,
                $"{what} of '{source}' has digest {actual}, not {expected}; it was not used.", source.Text);

        /// <summary>Reads a small file's bytes, mapping a read failure to this source's error.</summary>
        internal static byte[] ReadDocument(ContainerSource source, Func<Stream?> open, string what)
        {
            try
            {
                using (var input = open() ?? throw NotFound(source, $"it has no {what}"))
                {
                    return ImageFiles.ReadBounded(input, what, why => Invalid(source, why));
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.ReadError, $"cannot read {what} of '{source}': {e.Message}", source.Text, e);
            }
        }
    }
}
