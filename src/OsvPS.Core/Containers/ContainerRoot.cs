using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>How an image is unpacked.</summary>
    public sealed class ContainerUnpackOptions
    {
        /// <summary>
        /// The most its layers may unpack to, in all (what a gzip bomb stops at); default: what the root's disk has
        /// free, less a reserve (64 MiB or a twentieth).
        /// </summary>
        public long? MaxBytes { get; set; }
    }

    /// <summary>An entry of a layer that was not unpacked, and why (a device node, a FIFO).</summary>
    public sealed class ContainerSkippedEntry
    {
        internal ContainerSkippedEntry(int layer, string path, string reason)
        {
            Layer = layer;
            Path = path;
            Reason = reason;
        }

        /// <summary>The layer, from 1.</summary>
        public int Layer { get; }
        /// <summary>The path in the image, from its root (<c>/dev/null</c>).</summary>
        public string Path { get; }
        public string Reason { get; }

        public override string ToString() => $"{Path}: {Reason}";
    }

    /// <summary>What an image's root holds once its layers are unpacked.</summary>
    public sealed class ContainerRootResult
    {
        internal ContainerRootResult(string path, ContainerImage image, RootCounts counts, IReadOnlyList<ContainerSkippedEntry> skipped)
        {
            Path = path;
            Image = image.Digest;
            Files = counts.Files;
            Folders = counts.Folders;
            SymbolicLinks = counts.SymbolicLinks;
            HardLinks = counts.HardLinks;
            Whiteouts = counts.Whiteouts;
            Bytes = counts.Bytes;
            Skipped = skipped;
        }

        /// <summary>The root folder.</summary>
        public string Path { get; }
        /// <summary>The digest of the image unpacked.</summary>
        public string Image { get; }
        /// <summary>Entries written, over all layers (a file a later layer replaces counts twice).</summary>
        public int Files { get; }
        public int Folders { get; }
        public int SymbolicLinks { get; }
        public int HardLinks { get; }
        /// <summary>Whiteouts and opaque folders applied.</summary>
        public int Whiteouts { get; }
        /// <summary>The bytes of file content written.</summary>
        public long Bytes { get; }
        public IReadOnlyList<ContainerSkippedEntry> Skipped { get; }

        public override string ToString() => Path;
    }

    internal sealed class RootCounts
    {
        public int Files, Folders, SymbolicLinks, HardLinks, Whiteouts;
        public long Bytes;
    }

    /// <summary>
    /// Unpacks an image's layers, in order, into a root folder: whiteouts (<c>.wh.NAME</c>) and opaque folders
    /// (<c>.wh..wh..opq</c>) applied to what the layers below put there, symbolic links made as links (their targets are
    /// data, never followed), hard links made only to files already in the root, modes (without set-id bits) and modification times kept (not owners), device nodes and FIFOs
    /// skipped. Every write goes through <see cref="RootWriter"/> (never through a link); a name with <c>..</c>, an
    /// absolute name, a path through a link, or a hard link to what is not in the root is refused. Layers are read as
    /// a stream, each checked against its digest and its config's diff_id, and the whole is bounded
    /// (<see cref="ContainerUnpackOptions.MaxBytes"/>). Any failure removes what was written (the root itself when it
    /// was made here). Linux only.
    /// </summary>
    public static class ContainerRoot
    {
        /// <summary>
        /// The root of <paramref name="image"/> in <paramref name="cacheFolder"/> (<c>&lt;digest hex&gt;</c>): one that is
        /// there is whole (a root is unpacked as <c>&lt;hex&gt;.partial</c> and renamed only once every layer is in), and
        /// is reused; a partial one a killed run left is removed first. One process at a time unpacks a digest (a lock
        /// file beside it); <paramref name="reused"/> is true when nothing was unpacked.
        /// </summary>
        public static string Cached(ContainerImage image, string cacheFolder, IProgress<TransferProgress>? progress, CancellationToken cancellation, out bool reused)
        {
            int colon = image.Digest.IndexOf(':');
            string hex = image.Digest.Substring(colon + 1);
            if (colon < 0 || hex.Length == 0 || hex.Any(c => !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))))
            {
                throw ContainerImageReader.Invalid(image.Source, $"its digest '{image.Digest}' is not algorithm:hex");
            }
            Directory.CreateDirectory(cacheFolder);
            string root = Path.Combine(Path.GetFullPath(cacheFolder), hex);
            using (Lock(root + ".lock", cancellation))
            {
                reused = UnixFile.Stat(root, noFollow: true)?.Type == UnixFileType.Directory;
                if (reused)
                {
                    return root;
                }
                string partial = root + ".partial";
                if (UnixFile.Stat(partial, noFollow: true) != null)
                {
                    using (var parent = FolderHandle.OpenPath(Path.GetDirectoryName(partial)!, followLast: true))
                    {
                        RootWriter.RemoveTree(parent, Path.GetFileName(partial));
                    }
                }
                Unpack(image, partial, null, progress, cancellation);
                Directory.Move(partial, root);
                return root;
            }
        }

        // An exclusive lock on a file (flock through FileShare.None), waited for while another process holds it
        // (EWOULDBLOCK, 11 on Linux); any other failure is the caller's.
        private static FileStream Lock(string path, CancellationToken cancellation)
        {
            while (true)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException e) when (e.HResult == 11 && e.GetType() == typeof(IOException))
                {
                    cancellation.WaitHandle.WaitOne(200);
                    cancellation.ThrowIfCancellationRequested();
                }
            }
        }


        public static ContainerRootResult Unpack(ContainerImage image, string root, ContainerUnpackOptions? options, IProgress<TransferProgress>? progress, CancellationToken cancellation)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                throw new PlatformNotSupportedException("container images are unpacked on Linux only.");
            }
            string full = Path.GetFullPath(root).TrimEnd('/');
            bool created = Prepare(full);
            long limit = options?.MaxBytes ?? DefaultLimit(full);
            var counts = new RootCounts();
            var skipped = new List<ContainerSkippedEntry>();
            try
            {
                using (var writer = new RootWriter(full))
                {
                    var folders = new Dictionary<string, (int Mode, DateTime Modified)>(StringComparer.Ordinal);
                    long unpacked = 0;
                    for (int i = 0; i < image.Layers.Count; i++)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        progress?.Report(new TransferProgress("Unpacking", $"layer {i + 1} of {image.Layers.Count}", i, image.Layers.Count));
                        unpacked += new LayerApplier(image, i, writer, counts, skipped, folders, limit - unpacked, full, cancellation).Apply();
                        image.Blobs.Unpacked(i, image.Layers[i]);
                    }
                    // Folder modes and times last: a folder without write permission would have stopped the writes
                    // into it, and each write into a folder sets its time.
                    foreach (var folder in folders.OrderByDescending(m => m.Key.Length))
                    {
                        var parts = folder.Key.Split('/');
                        try
                        {
                            var parent = writer.Folder(parts, parts.Length - 1, create: false);
                            if (parent?.Stat(parts[parts.Length - 1])?.Type == UnixFileType.Directory)
                            {
                                parent.SetModified(parts[parts.Length - 1], folder.Value.Modified);
                                writer.Folder(parts, parts.Length, create: false)?.SetMode(folder.Value.Mode);
                            }
                        }
                        catch (LinkFoundException)
                        {
                            // A later layer made a folder on the way a link: the folder is gone from the image.
                        }
                    }
                }
                progress?.Report(new TransferProgress("Unpacking", $"layer {image.Layers.Count} of {image.Layers.Count}", image.Layers.Count, image.Layers.Count));
            }
            catch (Exception e)
            {
                RemoveWritten(full, created);
                throw Failure(e, image, full);
            }
            return new ContainerRootResult(full, image, counts, skipped);
        }

        // The root must be a new or empty folder (not a link); true when it is made here.
        private static bool Prepare(string root)
        {
            var status = UnixFile.Stat(root, noFollow: true);
            if (status == null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(root) ?? "/");
                Directory.CreateDirectory(root);
                return true;
            }
            if (status.Type != UnixFileType.Directory || Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new OsvException(ErrorIds.ContainerRootExists, OsvErrorKind.ResourceExists,
                    $"'{root}' is {(status.Type == UnixFileType.Directory ? "a folder that is not empty" : UnixFile.Describe(status.Type))}; an image is unpacked into a new or empty folder.", root);
            }
            return false;
        }

        private static long DefaultLimit(string root)
        {
            long free = DiskSpace.Available(root) ?? long.MaxValue;
            return free == long.MaxValue ? long.MaxValue : Math.Max(0, free - Math.Max(64L << 20, free / 20));
        }

        private static void RemoveWritten(string root, bool created)
        {
            try
            {
                if (created)
                {
                    using (var parent = FolderHandle.OpenPath(Path.GetDirectoryName(root) ?? "/", followLast: true))
                    {
                        RootWriter.RemoveTree(parent, Path.GetFileName(root));
                    }
                }
                else
                {
                    using (var folder = FolderHandle.OpenPath(root, followLast: false))
                    {
                        RootWriter.RemoveContents(folder);
                    }
                }
            }
            catch (IOException)
            {
                // Clean-up after a failure: the failure is what the caller hears of.
            }
        }

        private static Exception Failure(Exception e, ContainerImage image, string root)
        {
            switch (e)
            {
                case OsvException _:
                case OperationCanceledException _:
                    return e;
                case LinkFoundException link:
                    return new OsvException(ErrorIds.ContainerLayerInvalid, OsvErrorKind.SecurityError,
                        $"a layer of '{image.Source}' writes through '{link.Name}', a symbolic link; nothing is written through a link, and what was unpacked was removed.", image.Source.Text, e);
                case IOException io when DiskSpace.IsFull(io):
                    return new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                        $"the disk of '{root}' filled up while '{image.Source}' was unpacked; what was unpacked was removed. Free some space and try again.", image.Source.Text, e);
                case InvalidDataException _:
                    return new OsvException(ErrorIds.ContainerLayerInvalid, OsvErrorKind.InvalidData,
                        $"a layer of '{image.Source}' is not valid gzip ({e.Message}); what was unpacked was removed.", image.Source.Text, e);
                case IOException _:
                case UnauthorizedAccessException _:
                    return new OsvException(ErrorIds.ContainerLayerInvalid, OsvErrorKind.WriteError,
                        $"'{image.Source}' could not be unpacked into '{root}': {e.Message} What was unpacked was removed.", image.Source.Text, e);
                default:
                    return e;
            }
        }
    }
}
