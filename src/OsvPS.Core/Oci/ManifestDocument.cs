using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// The reading of an image index and an image manifest (OCI, or Docker's schema 2 list and manifest),
    /// wherever their bytes come from (a registry, an OCI layout). A document that cannot be read is a
    /// <see cref="FormatException"/> with the reason; each caller makes it its own error.
    /// </summary>
    internal static class ManifestDocument
    {
        /// <summary>The media type a document says it is (its own <c>mediaType</c> field), else <paramref name="fallback"/>.</summary>
        public static string MediaTypeOf(byte[] body, string fallback)
        {
            try
            {
                using (var doc = JsonDocument.Parse(body, DocumentOptions))
                {
                    return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String
                        ? m.GetString()! : fallback;
                }
            }
            catch (JsonException)
            {
                return fallback;
            }
        }

        /// <summary>The entries of an index: each one's descriptor and, when it says, its os/architecture and annotations.</summary>
        public static IReadOnlyList<(OciDescriptor Descriptor, string? Platform, IReadOnlyDictionary<string, string> Annotations)> IndexEntries(byte[] index)
        {
            try
            {
                using (var doc = JsonDocument.Parse(index, DocumentOptions))
                {
                    var entries = new List<(OciDescriptor, string?, IReadOnlyDictionary<string, string>)>();
                    foreach (var entry in doc.RootElement.GetProperty("manifests").EnumerateArray())
                    {
                        string? platform = entry.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object &&
                            p.TryGetProperty("os", out var os) && p.TryGetProperty("architecture", out var arch)
                            ? os.GetString() + "/" + arch.GetString() : null;
                        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
                        if (entry.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object)
                        {
                            foreach (var pair in a.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.String))
                            {
                                annotations[pair.Name] = pair.Value.GetString()!;
                            }
                        }
                        entries.Add((Descriptor(entry), platform, annotations));
                    }
                    return entries;
                }
            }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException)
            {
                throw new FormatException($"its index cannot be read ({e.Message})", e);
            }
        }

        /// <summary>The digest of an index's linux/amd64 image, or null when it has none.</summary>
        public static string? PickPlatform(byte[] index)
            => IndexEntries(index).Where(e => e.Platform == "linux/amd64").Select(e => e.Descriptor.Digest).FirstOrDefault();

        /// <summary>An image manifest's config and layers.</summary>
        public static (OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers) Read(byte[] manifest)
        {
            try
            {
                using (var doc = JsonDocument.Parse(manifest, DocumentOptions))
                {
                    return (Descriptor(doc.RootElement.GetProperty("config")), doc.RootElement.GetProperty("layers").EnumerateArray().Select(Descriptor).ToList());
                }
            }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException)
            {
                throw new FormatException($"its manifest cannot be read ({e.Message})", e);
            }
            catch (FormatException e)
            {
                throw new FormatException($"its manifest cannot be read ({e.Message})", e);
            }
        }

        /// <summary>True for the config of a container image (not an artifact's).</summary>
        public static bool IsImageConfig(string mediaType) => mediaType == OciMediaTypes.ImageConfig || mediaType == OciMediaTypes.DockerConfig;

        private static readonly JsonDocumentOptions DocumentOptions = new JsonDocumentOptions { MaxDepth = 64 };

        private static OciDescriptor Descriptor(JsonElement element)
        {
            string digest = element.GetProperty("digest").GetString() ?? "";
            if (!Digest.IsValid(digest))
            {
                throw new FormatException($"'{digest}' is not a sha256 digest");
            }
            long size = element.GetProperty("size").GetInt64();
            return new OciDescriptor(element.GetProperty("mediaType").GetString() ?? "", digest, size < 0 ? throw new FormatException("a negative size") : size);
        }
    }
}
