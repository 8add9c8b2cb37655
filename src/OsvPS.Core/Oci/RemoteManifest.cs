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
            var (body, mediaType, digest) = Fetch(client, reference.ManifestReference, reference.Digest, cancellation);
            if (OciMediaTypes.IsIndex(mediaType))
            {
                string entry = PickPlatform(body, reference);
                (body, mediaType, digest) = Fetch(client, entry, entry, cancellation);
            }
            if (!OciMediaTypes.IsManifest(mediaType))
            {
                throw NotSupported(reference, $"its manifest is of type '{mediaType}'");
            }
            OciDescriptor config;
            List<OciDescriptor> layers;
            try
            {
                using (var doc = JsonDocument.Parse(body))
                {
                    config = Descriptor(doc.RootElement.GetProperty("config"));
                    layers = doc.RootElement.GetProperty("layers").EnumerateArray().Select(Descriptor).ToList();
                }
            }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException || e is FormatException)
            {
                throw NotSupported(reference, $"its manifest cannot be read ({e.Message})");
            }
            if (config.MediaType != OciMediaTypes.ImageConfig && config.MediaType != OciMediaTypes.DockerConfig)
            {
                throw NotSupported(reference, $"it is an artifact whose config is '{config.MediaType}', not a container image");
            }
            byte[] configBytes = client.GetDocument(() => new HttpRequestMessage(HttpMethod.Get, client.Url("blobs/" + config.Digest)),
                "the image config", ErrorIds.OciManifestNotFound, cancellation).Body;
            if (Oci.Digest.Of(configBytes) != config.Digest)
            {
                throw Mismatch(reference, "the image config", config.Digest, Oci.Digest.Of(configBytes));
            }
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
                try
                {
                    using (var doc = JsonDocument.Parse(body))
                    {
                        mediaType = doc.RootElement.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : mediaType;
                    }
                }
                catch (JsonException)
                {
                }
            }
            return (body, mediaType, actual);
        }

        private static string PickPlatform(byte[] index, ImageReference reference)
        {
            try
            {
                using (var doc = JsonDocument.Parse(index))
                {
                    foreach (var entry in doc.RootElement.GetProperty("manifests").EnumerateArray())
                    {
                        if (entry.TryGetProperty("platform", out var platform) &&
                            platform.TryGetProperty("os", out var os) && os.GetString() == "linux" &&
                            platform.TryGetProperty("architecture", out var arch) && arch.GetString() == "amd64" &&
                            entry.TryGetProperty("digest", out var digest) && Oci.Digest.IsValid(digest.GetString()))
                        {
                            return digest.GetString()!;
                        }
                    }
                }
            }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException)
            {
                throw NotSupported(reference, $"its index cannot be read ({e.Message})");
            }
            throw NotSupported(reference, "its index has no linux/amd64 image");
        }

        private static OciDescriptor Descriptor(JsonElement element)
        {
            string digest = element.GetProperty("digest").GetString() ?? "";
            if (!Oci.Digest.IsValid(digest))
            {
                throw new FormatException($"'{digest}' is not a sha256 digest");
            }
            long size = element.GetProperty("size").GetInt64();
            return new OciDescriptor(element.GetProperty("mediaType").GetString() ?? "", digest, size < 0 ? throw new FormatException("a negative size") : size);
        }

        internal static OsvException NotSupported(ImageReference reference, string why)
            => new OsvException(ErrorIds.OciManifestNotSupported, OsvErrorKind.InvalidData,
                $"'{reference}' cannot be pulled as an OsvPS image: {why}.", reference.ToString());

        internal static OsvException Mismatch(ImageReference reference, string what, string expected, string actual)
            => new OsvException(ErrorIds.OciDigestMismatch, OsvErrorKind.InvalidData,
                $"{what} of '{reference}' has digest {actual}, not {expected}; it was not used.", reference.ToString());
    }
}
