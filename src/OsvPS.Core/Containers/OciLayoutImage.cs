using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>
    /// An image in an OCI image layout (OCI image spec, image-layout.md): <c>oci-layout</c>, <c>index.json</c> whose
    /// entries carry their tag in <c>org.opencontainers.image.ref.name</c>, and <c>blobs/sha256/&lt;hex&gt;</c>.
    /// </summary>
    internal sealed class OciLayoutImage : IContainerBlobs
    {
        public const string RefName = "org.opencontainers.image.ref.name";
        private readonly ContainerSource source;

        private OciLayoutImage(ContainerSource source) => this.source = source;

        public static ContainerImage Open(ContainerSource source)
        {
            string folder = source.Path!;
            if (!Directory.Exists(folder))
            {
                throw ContainerImageReader.NotFound(source, $"there is no folder '{folder}'");
            }
            byte[] layout = ContainerImageReader.ReadDocument(source, () => ImageFiles.OpenUnder(folder, "oci-layout"), "oci-layout file (is it an OCI image layout?)");
            try
            {
                using (var doc = JsonDocument.Parse(layout))
                {
                    if (!(doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("imageLayoutVersion", out var v) && v.ValueKind == JsonValueKind.String))
                    {
                        throw ContainerImageReader.Invalid(source, "its oci-layout file has no imageLayoutVersion");
                    }
                }
            }
            catch (JsonException e)
            {
                throw ContainerImageReader.Invalid(source, $"its oci-layout file cannot be read ({e.Message})");
            }
            var blobs = new OciLayoutImage(source);
            byte[] index = ContainerImageReader.ReadDocument(source, () => ImageFiles.OpenUnder(folder, "index.json"), "index.json");
            var entries = Entries(source, index);
            var named = source.Tag == null ? entries : entries.Where(e => e.Annotations.TryGetValue(RefName, out var tag) && tag == source.Tag).ToList();
            if (named.Count == 0)
            {
                var tags = entries.Select(e => e.Annotations.TryGetValue(RefName, out var t) ? t : null).Where(t => t != null).ToList();
                throw ContainerImageReader.NotFound(source, $"the layout has no image tagged '{source.Tag}'" + (tags.Count == 0 ? "" : $" (its tags: {string.Join(", ", tags)})"));
            }
            var chosen = named.Where(e => e.Platform == "linux/amd64").ToList();
            if (chosen.Count == 0)
            {
                chosen = named.Where(e => e.Platform == null).ToList();
            }
            if (chosen.Count != 1)
            {
                throw ContainerImageReader.NotFound(source, chosen.Count == 0 ? "the layout has no linux/amd64 image"
                    : $"the layout holds {chosen.Count} images; name one by its tag (oci:<folder>:<tag>)");
            }
            var descriptor = chosen[0].Descriptor;
            byte[] manifest = blobs.ReadBlob(descriptor, "the manifest");
            string mediaType = ManifestDocument.MediaTypeOf(manifest, descriptor.MediaType);
            if (OciMediaTypes.IsIndex(mediaType))
            {
                string digest = PickPlatform(source, manifest);
                descriptor = Entries(source, manifest).First(e => e.Descriptor.Digest == digest).Descriptor;
                manifest = blobs.ReadBlob(descriptor, "the manifest");
                mediaType = ManifestDocument.MediaTypeOf(manifest, descriptor.MediaType);
            }
            if (!OciMediaTypes.IsManifest(mediaType))
            {
                throw ContainerImageReader.Invalid(source, $"its manifest is of type '{mediaType}'");
            }
            OciDescriptor config;
            IReadOnlyList<OciDescriptor> layers;
            try
            {
                (config, layers) = ManifestDocument.Read(manifest);
            }
            catch (FormatException e)
            {
                throw ContainerImageReader.Invalid(source, e.Message);
            }
            if (!ManifestDocument.IsImageConfig(config.MediaType))
            {
                throw ContainerImageReader.Invalid(source, $"it is an artifact whose config is '{config.MediaType}', not a container image");
            }
            return ContainerImageReader.Build(source, descriptor.Digest, source.Tag, blobs.ReadBlob(config, "the image config"), layers, blobs);
        }

        private static IReadOnlyList<(OciDescriptor Descriptor, string? Platform, IReadOnlyDictionary<string, string> Annotations)> Entries(ContainerSource source, byte[] index)
        {
            try
            {
                return ManifestDocument.IndexEntries(index);
            }
            catch (FormatException e)
            {
                throw ContainerImageReader.Invalid(source, e.Message);
            }
        }

        private static string PickPlatform(ContainerSource source, byte[] index)
        {
            try
            {
                return ManifestDocument.PickPlatform(index) ?? throw ContainerImageReader.Invalid(source, "its index has no linux/amd64 image");
            }
            catch (FormatException e)
            {
                throw ContainerImageReader.Invalid(source, e.Message);
            }
        }

        private FileStream? OpenBlob(string digest) => ImageFiles.OpenUnder(source.Path!, "blobs", "sha256", Digest.Hex(digest));

        // A small blob, read whole and checked against its descriptor.
        private byte[] ReadBlob(OciDescriptor descriptor, string what)
        {
            byte[] bytes = ContainerImageReader.ReadDocument(source, () => OpenBlob(descriptor.Digest), $"{what} ({descriptor.Digest})");
            string actual = Digest.Of(bytes);
            if (actual != descriptor.Digest)
            {
                throw ContainerImageReader.Mismatch(source, what, descriptor.Digest, actual);
            }
            return bytes;
        }

        public (Stream Stream, bool Checked) OpenLayer(int index, ContainerLayer layer, CancellationToken cancellation)
        {
            try
            {
                return (OpenBlob(layer.Digest!) ?? throw ContainerImageReader.NotFound(source, $"layer {index + 1} ({layer.Digest}) is not in the layout"), false);
            }
            catch (IOException e)
            {
                throw new Errors.OsvException(Errors.ErrorIds.ContainerImageInvalid, Errors.OsvErrorKind.ReadError, $"cannot read layer {index + 1} of '{source}': {e.Message}", source.Text, e);
            }
        }

        public void Unpacked(int index, ContainerLayer layer)
        {
        }

        public void Dispose()
        {
        }
    }
}
