using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Core.Oci
{
    /// <summary>One layer of an OsvPS container image: one file of the host, as a tar.</summary>
    public sealed class OciLayer
    {
        internal OciLayer(string folder, string fileName, string sourceFile)
        {
            Folder = folder;
            FileName = fileName;
            SourceFile = sourceFile;
            using (var stream = Open())
            {
                Size = stream.Length;
                (Digest, FileDigest) = stream.Digests();
            }
        }

        public string MediaType => OciMediaTypes.Layer;
        public string Digest { get; }
        public long Size { get; }
        /// <summary>The SHA-256 of the file itself (the layer's diff id is <see cref="Digest"/>: the layer is not compressed).</summary>
        public string FileDigest { get; }
        public string Folder { get; }
        public string FileName { get; }
        public string SourceFile { get; }
        /// <summary>The file's absolute path in the container image.</summary>
        public string PathInImage => "/" + Folder + "/" + FileName;

        internal LayerStream Open() => new LayerStream(Folder, FileName, SourceFile);
    }

    /// <summary>Everything a push sends, computed before anything is sent (what -WhatIf and -Verbose show).</summary>
    public sealed class PublishPlan
    {
        internal PublishPlan(ImageReference reference, OsvImage image, IReadOnlyList<OciLayer> layers, OsvImageLabels labels, byte[] config, byte[] manifest)
        {
            Reference = reference;
            Image = image;
            Layers = layers;
            Labels = labels;
            Config = config;
            ConfigDigest = Oci.Digest.Of(config);
            Manifest = manifest;
            ManifestDigest = Oci.Digest.Of(manifest);
        }

        public ImageReference Reference { get; }
        public OsvImage Image { get; }
        public IReadOnlyList<OciLayer> Layers { get; }
        public OsvImageLabels Labels { get; }
        public byte[] Config { get; }
        public string ConfigDigest { get; }
        public byte[] Manifest { get; }
        public string ManifestDigest { get; }
        public long Size => Config.Length + Layers.Sum(l => l.Size);
    }

    /// <summary>
    /// How an OsvPS image is laid out as an OCI image (KubeVirt's containerDisk and kernelBoot layout): the
    /// disk at <c>/disk/&lt;name&gt;.qcow2</c> (or <c>.img</c> for raw; the only file in <c>/disk</c>, which
    /// KubeVirt requires when no path is given), the kernel ELF, when the image has one, at
    /// <c>/boot/osv-kernel.elf</c>, each in a layer of its own (so images with the same kernel share that
    /// blob), both owned 107:107 and mode 0440; an image config for linux/amd64 whose labels carry OsvPS's metadata.
    /// </summary>
    internal static class OsvArtifact
    {
        public const string DiskFolder = "disk";
        public const string KernelFolder = "boot";
        public const string KernelFileName = "osv-kernel.elf";

        public static PublishPlan Plan(OsvImage image, string? kernel, ImageReference reference)
        {
            if (image.Format != DiskFormat.Qcow2 && image.Format != DiskFormat.Raw)
            {
                throw new OsvException(ErrorIds.OciDiskFormatNotSupported, OsvErrorKind.InvalidArgument,
                    $"image '{image.Name}' is {image.Format}; a containerDisk holds qcow2 or raw only (KubeVirt's rule), so it is not published.", image);
            }
            string baseName = Repository.CapstanRepository.BaseName(image.Name);
            string diskFile = (baseName.Length <= 80 ? baseName : "image") + (image.Format == DiskFormat.Qcow2 ? ".qcow2" : ".img");
            var layers = new List<OciLayer> { new OciLayer(DiskFolder, diskFile, image.Path) };
            if (kernel != null)
            {
                layers.Add(new OciLayer(KernelFolder, KernelFileName, kernel));
            }
            var labels = new OsvImageLabels
            {
                ImageName = image.Name,
                CommandLine = image.CommandLine,
                ConfigSets = image.ConfigSets.ToArray(),
                Platform = image.Platform,
                DiskPath = layers[0].PathInImage,
                DiskFormat = image.Format == DiskFormat.Qcow2 ? "qcow2" : "raw",
                DiskSha256 = layers[0].FileDigest,
                KernelPath = kernel == null ? null : layers[1].PathInImage,
                KernelSha256 = kernel == null ? null : layers[1].FileDigest,
                Version = image.Version,
                Description = image.Description,
                Created = image.Created,
            };
            byte[] config = Config(labels, layers);
            return new PublishPlan(reference, image, layers, labels, config, Manifest(config, layers));
        }

        private static byte[] Config(OsvImageLabels labels, IReadOnlyList<OciLayer> layers) => Json(w =>
        {
            if (labels.Created.HasValue)
            {
                w.WriteString("created", labels.Created.Value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            }
            w.WriteString("architecture", "amd64");
            w.WriteString("os", "linux");
            w.WriteStartObject("config");
            w.WriteStartObject("Labels");
            foreach (var label in labels.ToDictionary())
            {
                w.WriteString(label.Key, label.Value);
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("rootfs");
            w.WriteString("type", "layers");
            w.WriteStartArray("diff_ids");
            foreach (var layer in layers)
            {
                w.WriteStringValue(layer.Digest);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

        private static byte[] Manifest(byte[] config, IReadOnlyList<OciLayer> layers) => Json(w =>
        {
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", OciMediaTypes.ImageManifest);
            w.WriteStartObject("config");
            w.WriteString("mediaType", OciMediaTypes.ImageConfig);
            w.WriteString("digest", Digest.Of(config));
            w.WriteNumber("size", config.Length);
            w.WriteEndObject();
            w.WriteStartArray("layers");
            foreach (var layer in layers)
            {
                w.WriteStartObject();
                w.WriteString("mediaType", layer.MediaType);
                w.WriteString("digest", layer.Digest);
                w.WriteNumber("size", layer.Size);
                w.WriteStartObject("annotations");
                w.WriteString("org.opencontainers.image.title", layer.PathInImage);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

        private static byte[] Json(Action<Utf8JsonWriter> body)
        {
            using (var buffer = new MemoryStream())
            {
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                {
                    writer.WriteStartObject();
                    body(writer);
                    writer.WriteEndObject();
                }
                return buffer.ToArray();
            }
        }
    }
}
