using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Oci;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Containers
{
    /// <summary>
    /// An image in what <c>docker save</c> / <c>podman save</c> / skopeo's <c>docker-archive:</c> write: a tar whose
    /// <c>manifest.json</c> lists each image's <c>Config</c>, <c>RepoTags</c> and <c>Layers</c> (members of the tar,
    /// plain or gzip; a member may be a link to another, as docker writes a layer two images share). Layers are read
    /// in place; each is checked against the config's <c>rootfs.diff_ids</c>, and the config against its name when
    /// that is its digest.
    /// </summary>
    internal sealed class DockerArchiveImage : IContainerBlobs
    {
        private static readonly Regex HexName = new Regex("(^|/)([a-f0-9]{64})(\\.json)?$", RegexOptions.CultureInvariant);
        private readonly ContainerSource source;
        private readonly FileStream archive;
        private readonly List<(long Offset, long Length)> layers = new List<(long, long)>();

        private DockerArchiveImage(ContainerSource source, FileStream archive)
        {
            this.source = source;
            this.archive = archive;
        }

        public static ContainerImage Open(ContainerSource source)
        {
            FileStream archive;
            try
            {
                archive = UnixFile.OpenRegular(source.Path!);
            }
            catch (FileNotFoundException)
            {
                throw ContainerImageReader.NotFound(source, $"there is no file '{source.Path}'");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.ReadError, $"cannot read '{source.Path}': {e.Message}", source.Text, e);
            }
            var image = new DockerArchiveImage(source, archive);
            try
            {
                return image.Read();
            }
            catch
            {
                archive.Dispose();
                throw;
            }
        }

        private ContainerImage Read()
        {
            List<TarEntry> entries;
            try
            {
                entries = TarReader.ReadEntries(archive, source.Text);
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.PackageInvalid)
            {
                throw new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.InvalidData, $"'{source}' is not a docker archive: {e.Message}", source.Text, e);
            }
            var byName = new Dictionary<string, TarEntry>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                byName[Clean(entry.Name)] = entry;
            }
            byte[] manifest = Member(byName, "manifest.json", "its manifest.json");
            string configName;
            string? tag;
            List<string> layerNames;
            try
            {
                using (var doc = JsonDocument.Parse(manifest, new JsonDocumentOptions { MaxDepth = 64 }))
                {
                    var images = doc.RootElement.EnumerateArray().ToList();
                    if (images.Count != 1)
                    {
                        throw ContainerImageReader.Invalid(source, $"it holds {images.Count} images; OsvPS reads an archive of one (save one image at a time)");
                    }
                    var image = images[0];
                    configName = image.GetProperty("Config").GetString() ?? "";
                    tag = image.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array && tags.GetArrayLength() > 0 ? tags[0].GetString() : null;
                    layerNames = image.GetProperty("Layers").EnumerateArray().Select(l => l.GetString() ?? "").ToList();
                }
            }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException)
            {
                throw ContainerImageReader.Invalid(source, $"its manifest.json cannot be read ({e.Message})");
            }
            byte[] config = Member(byName, configName, "its config");
            string configDigest = Digest.Of(config);
            var named = HexName.Match(configName);
            if (named.Success && "sha256:" + named.Groups[2].Value != configDigest)
            {
                throw ContainerImageReader.Mismatch(source, "the image config", "sha256:" + named.Groups[2].Value, configDigest);
            }
            var descriptors = new List<OciDescriptor>();
            foreach (string name in layerNames)
            {
                var entry = Resolve(byName, name, "a layer");
                layers.Add((entry.DataOffset, entry.Size));
                var match = HexName.Match(Clean(name));
                // A blobs/sha256/<hex> member (docker 25 and later) is named by its digest; <id>/layer.tar is not.
                string digest = Clean(name).StartsWith("blobs/sha256/", StringComparison.Ordinal) && match.Success ? "sha256:" + match.Groups[2].Value : "";
                descriptors.Add(new OciDescriptor(OciMediaTypes.DockerLayer, digest, entry.Size));
            }
            var built = ContainerImageReader.Build(source, configDigest, tag, config, descriptors, this);
            if (built.Layers.Any(l => l.DiffId == null))
            {
                throw ContainerImageReader.Invalid(source, "its config has no rootfs.diff_ids to check its layers against");
            }
            return built;
        }

        private static string Clean(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name.Substring(2) : name;

        // A member's entry, a link (symbolic or hard) followed to the member it names, inside the archive.
        private TarEntry Resolve(Dictionary<string, TarEntry> byName, string name, string what)
        {
            string current = Clean(name);
            for (int hops = 0; hops < 8; hops++)
            {
                if (!byName.TryGetValue(current, out var entry))
                {
                    throw ContainerImageReader.Invalid(source, $"{what} '{name}' is not in the archive");
                }
                if (entry.Kind == TarEntryKind.File)
                {
                    return entry;
                }
                if (entry.Kind == TarEntryKind.HardLink)
                {
                    current = Clean(entry.LinkTarget);
                    continue;
                }
                if (entry.Kind != TarEntryKind.Symlink || entry.LinkTarget.StartsWith("/", StringComparison.Ordinal))
                {
                    break;
                }
                var parts = current.Split('/').SkipLast(1).ToList();
                foreach (string part in entry.LinkTarget.Split('/'))
                {
                    if (part == "..")
                    {
                        if (parts.Count == 0)
                        {
                            throw ContainerImageReader.Invalid(source, $"{what} '{name}' links out of the archive");
                        }
                        parts.RemoveAt(parts.Count - 1);
                    }
                    else if (part.Length > 0 && part != ".")
                    {
                        parts.Add(part);
                    }
                }
                current = string.Join("/", parts);
            }
            throw ContainerImageReader.Invalid(source, $"{what} '{name}' is not a file of the archive");
        }

        private byte[] Member(Dictionary<string, TarEntry> byName, string name, string what)
        {
            var entry = Resolve(byName, name, what);
            return ImageFiles.ReadBounded(new StreamWindow(archive, entry.DataOffset, entry.Size), what, why => ContainerImageReader.Invalid(source, why));
        }

        public (Stream Stream, bool Checked) OpenLayer(int index, ContainerLayer layer, CancellationToken cancellation)
            => (new StreamWindow(archive, layers[index].Offset, layers[index].Length), false);

        public void Unpacked(int index, ContainerLayer layer)
        {
        }

        public void Dispose() => archive.Dispose();
    }
}
