using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Containers
{
    /// <summary>One layer of <see cref="ContainerRoot.Unpack"/>: its stream opened and checked, its entries applied to the root.</summary>
    internal sealed class LayerApplier
    {
        private const string Whiteout = ".wh.";
        private const string Opaque = ".wh..wh..opq";

        private readonly ContainerImage image;
        private readonly int index;
        private readonly ContainerLayer layer;
        private readonly RootWriter writer;
        private readonly RootCounts counts;
        private readonly List<ContainerSkippedEntry> skipped;
        private readonly Dictionary<string, (int Mode, DateTime Modified)> folders;
        private readonly long limit;
        private readonly string root;
        private readonly CancellationToken cancellation;
        // The paths this layer wrote: its whiteouts and opaque folders hide what the layers below hold, not these.
        private readonly HashSet<string> written = new HashSet<string>(StringComparer.Ordinal);
        private readonly byte[] buffer = new byte[1 << 20];

        public LayerApplier(ContainerImage image, int index, RootWriter writer, RootCounts counts, List<ContainerSkippedEntry> skipped,
            Dictionary<string, (int Mode, DateTime Modified)> folders, long limit, string root, CancellationToken cancellation)
        {
            this.image = image;
            this.index = index;
            layer = image.Layers[index];
            this.writer = writer;
            this.counts = counts;
            this.skipped = skipped;
            this.folders = folders;
            this.limit = limit;
            this.root = root;
            this.cancellation = cancellation;
        }

        private string What => $"layer {index + 1} of '{image.Source}'";

        /// <summary>Applies the layer; returns the bytes it unpacked to.</summary>
        public long Apply()
        {
            var (stored, verified) = image.Blobs.OpenLayer(index, layer, cancellation);
            using (stored)
            {
                bool gzip = Compression(stored);
                // A plain tar's blob digest is also its diff_id: one hash serves both.
                var blob = verified ? null : new DigestingStream(stored, hashed: layer.Digest != null || !gzip && layer.DiffId != null, long.MaxValue, () => new InvalidOperationException());
                Stream compressed = blob ?? stored;
                DigestingStream tar = gzip
                    ? new DigestingStream(new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true), layer.DiffId != null, limit, Bomb)
                    : new DigestingStream(compressed, layer.DiffId != null && blob == null, limit, Bomb);
                using (tar)
                {
                    var reader = new TarStreamReader(new BufferedStream(tar, 1 << 16), What, why => Invalid(why));
                    while (reader.Next() is TarEntry entry)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        Entry(entry, reader);
                    }
                    // What follows the end marker is part of the blob: its digest covers it, and a gzip's trailer is checked at its end.
                    tar.Drain();
                    blob?.Drain();
                    if (blob != null && blob.Count != layer.Size)
                    {
                        throw Invalid($"it is {blob.Count} bytes, not the {layer.Size} its manifest gives");
                    }
                    if (layer.Digest != null && blob?.Digest is string digest && digest != layer.Digest)
                    {
                        throw ContainerImageReader.Mismatch(image.Source, $"layer {index + 1}", layer.Digest!, digest);
                    }
                    string? diff = tar.Digest ?? (gzip ? null : blob?.Digest);
                    if (layer.DiffId != null && diff != layer.DiffId)
                    {
                        throw ContainerImageReader.Mismatch(image.Source, $"the unpacked layer {index + 1}", layer.DiffId, diff ?? "");
                    }
                    return tar.Count;
                }
            }
        }

        // True for gzip, false for a plain tar (by the first bytes, whatever the media type says); zstd is refused.
        private bool Compression(Stream stored)
        {
            var magic = new byte[4];
            int n = StreamReading.ReadFully(stored, magic, 0, 4);
            stored.Position = 0;
            if (n == 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F && magic[3] == 0xFD)
            {
                throw Invalid("it is zstd-compressed; OsvPS unpacks tar and tar+gzip layers");
            }
            return n >= 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        }

        private void Entry(TarEntry entry, TarStreamReader reader)
        {
            var parts = Parts(entry.Name, "its entry");
            if (parts == null)
            {
                return; // the root itself
            }
            string name = parts[parts.Length - 1];
            string path = string.Join("/", parts);
            int depth = parts.Length - 1;
            if (name.StartsWith(Whiteout, StringComparison.Ordinal))
            {
                ApplyWhiteout(parts, name, depth);
                return;
            }
            var folder = writer.Folder(parts, depth, create: true)!;
            written.Add(path);
            switch (entry.Kind)
            {
                case TarEntryKind.Directory:
                    if (folder.Stat(name)?.Type != UnixFileType.Directory)
                    {
                        writer.Remove(folder, depth, name);
                        folder.OpenChild(name, create: true).Dispose();
                    }
                    folders[path] = (Mode(entry), entry.Modified);
                    counts.Folders++;
                    break;
                case TarEntryKind.File:
                    var file = folder.CreateNew(name, Mode(entry));
                    if (file == null)
                    {
                        writer.Remove(folder, depth, name);
                        file = folder.CreateNew(name, Mode(entry)) ?? throw new IOException($"'{path}' exists still after it was removed.");
                    }
                    using (file)
                    {
                        int n;
                        while ((n = reader.ReadData(buffer, 0, buffer.Length)) > 0)
                        {
                            file.Write(buffer, 0, n);
                            counts.Bytes += n;
                        }
                        FolderHandle.SetModified(file, entry.Modified);
                    }
                    counts.Files++;
                    break;
                case TarEntryKind.Symlink:
                    writer.Remove(folder, depth, name);
                    folder.CreateLink(name, entry.LinkTarget);
                    folder.SetModified(name, entry.Modified);
                    counts.SymbolicLinks++;
                    break;
                case TarEntryKind.HardLink:
                    HardLink(entry, folder, parts, depth);
                    break;
                default:
                    written.Remove(path);
                    skipped.Add(new ContainerSkippedEntry(index + 1, "/" + path, entry.TypeFlag switch
                    {
                        '3' => "a character device (OSv's devices are its own)",
                        '4' => "a block device (OSv's devices are its own)",
                        '6' => "a FIFO",
                        _ => $"a tar entry of type '{entry.TypeFlag}', which OsvPS does not unpack",
                    }));
                    break;
            }
        }

        private void ApplyWhiteout(string[] parts, string name, int depth)
        {
            if (name == Opaque)
            {
                var opaque = writer.Folder(parts, depth, create: false);
                if (opaque != null)
                {
                    string prefix = string.Join("/", parts.Take(depth));
                    foreach (string child in opaque.Names())
                    {
                        if (!written.Contains(prefix.Length == 0 ? child : prefix + "/" + child))
                        {
                            writer.Remove(opaque, depth, child);
                        }
                    }
                }
                counts.Whiteouts++;
                return;
            }
            if (name.StartsWith(Whiteout + Whiteout, StringComparison.Ordinal))
            {
                return; // other aufs metadata (.wh..wh.plnk, ...): not part of the image's files
            }
            string hidden = name.Substring(Whiteout.Length);
            if (hidden.Length == 0 || hidden == "." || hidden == "..")
            {
                throw Invalid($"its whiteout '{string.Join("/", parts)}' names '{hidden}', which is not a name in its folder");
            }
            var folder = writer.Folder(parts, depth, create: false);
            string path = string.Join("/", parts.Take(depth).Append(hidden));
            if (folder != null && !written.Contains(path))
            {
                writer.Remove(folder, depth, hidden);
            }
            counts.Whiteouts++;
        }

        private void HardLink(TarEntry entry, FolderHandle folder, string[] parts, int depth)
        {
            var target = Parts(entry.LinkTarget, $"the hard link '{entry.Name}' to") ?? throw Invalid($"its hard link '{entry.Name}' names the root");
            string targetName = target[target.Length - 1];
            using (var targetFolder = writer.OpenApart(target, target.Length - 1))
            {
                var status = targetFolder?.Stat(targetName);
                if (targetFolder == null || status == null || status.Type == UnixFileType.Directory)
                {
                    throw Invalid($"its hard link '{entry.Name}' names '{entry.LinkTarget}', which is not a file of the image");
                }
                if (target.SequenceEqual(parts))
                {
                    return;
                }
                writer.Remove(folder, depth, parts[depth]);
                folder.HardLink(targetFolder, targetName, parts[depth]);
            }
            counts.HardLinks++;
        }

        // The entry's permission and sticky bits; set-user-id and set-group-id are dropped: OSv has no users to switch
        // to, and a root-owned set-id program left in a root on the host would be one any local user could run.
        private static int Mode(TarEntry entry) => entry.Mode & 0x3FF;

        // A name's parts from the root; null for the root itself. Absolute names and '..' are refused.
        private string[]? Parts(string name, string what)
        {
            if (name.StartsWith("/", StringComparison.Ordinal))
            {
                throw Invalid($"{what} '{name}' is an absolute name");
            }
            var parts = name.Split('/').Where(p => p.Length > 0 && p != ".").ToArray();
            if (parts.Any(p => p == ".."))
            {
                throw Invalid($"{what} '{name}' climbs out with '..'");
            }
            return parts.Length == 0 ? null : parts;
        }

        private OsvException Invalid(string why)
            => new OsvException(ErrorIds.ContainerLayerInvalid, OsvErrorKind.InvalidData,
                $"{What} is refused: {why}. Nothing was written outside '{root}', and what was unpacked was removed.", image.Source.Text);

        private Exception Bomb()
            => new OsvException(ErrorIds.ContainerLayerInvalid, OsvErrorKind.LimitsExceeded,
                $"{What} unpacks to more than the {limit >> 20} MiB left of what the image may take (a layer that expands without end?); what was unpacked was removed.", image.Source.Text);
    }
}
