using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>A blob a manifest names: its media type, digest and size.</summary>
    public sealed class OciDescriptor
    {
        public OciDescriptor(string mediaType, string digest, long size)
        {
            MediaType = mediaType;
            Digest = digest;
            Size = size;
        }

        public string MediaType { get; }
        public string Digest { get; }
        public long Size { get; }
    }

    /// <summary>
    /// An image manifest read from a registry and checked: the bytes match the digest asked for (or the
    /// one the registry gives), the media type is an OCI or Docker schema 2 image manifest (an index is
    /// followed to its linux/amd64 entry), the config is an image config, and its labels are OsvPS's.
    /// </summary>
    public sealed class RemoteManifest
    {
        private RemoteManifest(ImageReference reference, string digest, string mediaType, OciDescriptor config, IReadOnlyList<OciDescriptor> layers, OsvImageLabels labels)
        {
            Reference = reference;
            Digest = digest;
            MediaType = mediaType;
            Config = config;
            Layers = layers;
            Labels = labels;
        }

        public ImageReference Reference { get; }
        public string Digest { get; }
        public string MediaType { get; }
        public OciDescriptor Config { get; }
        public IReadOnlyList<OciDescriptor> Layers { get; }
        public OsvImageLabels Labels { get; }

        public OsvRegistryImage ToRegistryImage() => new OsvRegistryImage(Reference.Tag != null ? Reference.WithTag(Reference.Tag) : Reference, Digest, Labels, Config.Size + Layers.Sum(l => l.Size));

        public static RemoteManifest Read(RegistryClient client, CancellationToken cancellation)
        {
            var reference = client.Reference;
            var image = ReadImage(client, why => NotSupported(reference, why), cancellation);
            var (digest, mediaType, config, layers, configBytes) = image;
            OsvImageLabels? labels;
            try
            {
                using (var doc = JsonDocument.Parse(configBytes))
                {
                    labels = OsvImageLabels.FromConfig(doc.RootElement);
                }
            }
            // InvalidOperationException: a label that is not UTF-16 text (a lone surrogate escaped as \ud800).
            catch (Exception e) when (e is JsonException || e is InvalidOperationException)
            {
                throw NotSupported(reference, $"its config cannot be read ({e.Message})");
            }
            if (labels == null)
            {
                throw new OsvException(ErrorIds.OciNotAnOsvImage, OsvErrorKind.InvalidData,
                    $"'{reference}' is a container image, but not one OsvPS published: its config has no {OsvImageLabels.DiskPathKey} label.", reference.ToString());
            }
            return new RemoteManifest(reference.WithDigest(digest), digest, mediaType, config, layers, labels);
        }

        /// <summary>
        /// Any container image's manifest (an index followed to its linux/amd64 entry) and config, both checked
        /// against their digests; what is not an image manifest, or not a container image, ends in <paramref name="unsupported"/>'s error.
        /// </summary>
        internal static (string Digest, string MediaType, OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers, byte[] ConfigBytes) ReadImage(
            RegistryClient client, Func<string, OsvException> unsupported, CancellationToken cancellation)
        {
            var reference = client.Reference;
            var (body, mediaType, digest) = Fetch(client, reference.ManifestReference, reference.Digest, cancellation);
            if (OciMediaTypes.IsIndex(mediaType))
            {
                string entry;
                try
                {
                    entry = ManifestDocument.PickPlatform(body) ?? throw unsupported("its index has no linux/amd64 image");
                }
                catch (FormatException e)
                {
                    throw unsupported(e.Message);
                }
                (body, mediaType, digest) = Fetch(client, entry, entry, cancellation);
            }
            if (!OciMediaTypes.IsManifest(mediaType))
            {
                throw unsupported($"its manifest is of type '{mediaType}'");
            }
            OciDescriptor config;
            IReadOnlyList<OciDescriptor> layers;
            try
            {
                (config, layers) = ManifestDocument.Read(body);
            }
            catch (FormatException e)
            {
                throw unsupported(e.Message);
            }
            if (!ManifestDocument.IsImageConfig(config.MediaType))
            {
                throw unsupported($"it is an artifact whose config is '{config.MediaType}', not a container image");
            }
            byte[] configBytes = client.GetDocument(() => new HttpRequestMessage(HttpMethod.Get, client.Url("blobs/" + config.Digest)),
                "the image config", ErrorIds.OciManifestNotFound, cancellation).Body;
            if (Oci.Digest.Of(configBytes) != config.Digest)
            {
                throw Mismatch(reference, "the image config", config.Digest, Oci.Digest.Of(configBytes));
            }
            return (digest, mediaType, config, layers, configBytes);
        }

        private static (byte[], string, string) Fetch(RegistryClient client, string manifest, string? pinned, CancellationToken cancellation)
        {
            HttpRequestMessage Make()
            {
                var request = new HttpRequestMessage(HttpMethod.Get, client.Url("manifests/" + manifest));
                foreach (string type in OciMediaTypes.Accepted)
                {
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                }
                return request;
            }
            var (body, mediaType, said) = client.GetDocument(Make, "the manifest of " + client.Reference, ErrorIds.OciManifestNotFound, cancellation);
            string actual = Oci.Digest.Of(body);
            string? expected = pinned ?? said;
            if (expected != null && expected.StartsWith("sha256:", StringComparison.Ordinal) && expected != actual)
            {
                throw Mismatch(client.Reference, "the manifest", expected, actual);
            }
            if (mediaType.Length == 0 || mediaType == "application/json")
            {
                // Some registries serve a manifest as plain JSON: its own mediaType field says what it is.
                mediaType = ManifestDocument.MediaTypeOf(body, mediaType);
            }
            return (body, mediaType, actual);
        }

        internal static OsvException NotSupported(ImageReference reference, string why)
            => new OsvException(ErrorIds.OciManifestNotSupported, OsvErrorKind.InvalidData,
                $"'{reference}' cannot be pulled as an OsvPS image: {why}.", reference.ToString());

        internal static OsvException Mismatch(ImageReference reference, string what, string expected, string actual)
            => new OsvException(ErrorIds.OciDigestMismatch, OsvErrorKind.InvalidData,
                $"{what} of '{reference}' has digest {actual}, not {expected}; it was not used.", reference.ToString());
    }
}
