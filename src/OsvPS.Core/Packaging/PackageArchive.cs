using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;
using OsvPS.Core.Rofs;

namespace OsvPS.Core.Packaging
{
    /// <summary>
    /// A package (<c>.mpm</c>: a gzip-compressed tar of a project folder). It is decompressed once
    /// into a cache so its members can be streamed into images by offset.
    /// </summary>
    internal sealed class PackageArchive
    {
        /// <summary>The most a package may unpack to (a few MB of gzip can claim many GiB).</summary>
        public const long MaxUnpackedBytes = 4L << 30;

        private PackageArchive(string name, string archivePath, string tarPath, List<TarEntry> entries, PackageManifest? manifest, RunConfig? run)
        {
            Name = name;
            ArchivePath = archivePath;
            TarPath = tarPath;
            Entries = entries;
            Manifest = manifest;
            Run = run;
        }

        public string Name { get; }
        public string ArchivePath { get; }
        public string TarPath { get; }
        public IReadOnlyList<TarEntry> Entries { get; }
        public PackageManifest? Manifest { get; }
        public RunConfig? Run { get; }
        public IReadOnlyList<string> Require => Manifest?.Require ?? new string[0];

        /// <summary>Opens <paramref name="archivePath"/>, decompressing it into <paramref name="cacheFolder"/> when not cached yet.</summary>
        public static PackageArchive Open(string name, string archivePath, string cacheFolder)
        {
            PackageNames.Validate(name);
            var info = new FileInfo(archivePath);
            Directory.CreateDirectory(cacheFolder);
            // The cache is keyed by the archive's identity: size, modification time, inode and change time
            // (a package replaced by one of the same size and time still gets a new inode or change time).
            var status = UnixFile.RequireRegular(archivePath, ErrorIds.PackageNotFound, ErrorIds.PackageInvalid);
            string tarPath = Path.Combine(cacheFolder, $"{name}-{info.Length}-{info.LastWriteTimeUtc.Ticks}-{status.Inode}-{status.ChangedTicks}.tar");
            if (!File.Exists(tarPath))
            {
                // Older unpackings of this package are of no use any more: the cache holds one per package.
                var ours = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(name) + @"(-\d+){2,4}\.tar$");
                foreach (string old in Directory.GetFiles(cacheFolder, name + "-*.tar").Where(f => ours.IsMatch(Path.GetFileName(f))))
                {
                    AtomicFile.TryDelete(old);
                }
                try
                {
                    AtomicFile.Write(tarPath, output =>
                    {
                        using (var input = File.OpenRead(archivePath))
                        {
                            Gzip.Unpack(input, output, MaxUnpackedBytes, archivePath, ErrorIds.PackageInvalid);
                        }
                    });
                }
                catch (InvalidDataException e)
                {
                    throw new OsvException(ErrorIds.PackageInvalid, OsvErrorKind.InvalidData, $"'{archivePath}' is not a valid package: {e.Message}", archivePath, e);
                }
            }
            List<TarEntry> entries;
            try
            {
                using (var tar = File.OpenRead(tarPath))
                {
                    entries = TarReader.ReadEntries(tar, archivePath);
                }
            }
            catch (OsvException)
            {
                AtomicFile.TryDelete(tarPath); // a broken unpacking is not kept for the next build
                throw;
            }
            PackageManifest? manifest = null;
            RunConfig? run = null;
            foreach (var entry in entries)
            {
                string? path = GuestPath(entry.Name, archivePath);
                if (path == "/meta/package.yaml" && entry.Kind == TarEntryKind.File)
                {
                    manifest = PackageYaml.Parse(ReadText(tarPath, entry), archivePath + "!meta/package.yaml");
                }
                else if (path == "/meta/run.yaml" && entry.Kind == TarEntryKind.File)
                {
                    run = RunYaml.Parse(ReadText(tarPath, entry), archivePath + "!meta/run.yaml");
                }
            }
            return new PackageArchive(manifest?.Name ?? name, archivePath, tarPath, entries, manifest, run);
        }

        /// <summary>Adds the package's guest files (not <c>meta/</c>) to <paramref name="tree"/>.</summary>
        public void AddTo(ImageTree tree, Action<string, string>? onFile)
        {
            var byPath = new Dictionary<string, TarEntry>(StringComparer.Ordinal);
            foreach (var entry in Entries)
            {
                string? guest = GuestPath(entry.Name, ArchivePath);
                if (guest == null || guest == "/meta" || guest.StartsWith("/meta/", StringComparison.Ordinal))
                {
                    continue;
                }
                string origin = ArchivePath + "!" + entry.Name;
                switch (entry.Kind)
                {
                    case TarEntryKind.Directory:
                        tree.Add(guest, new TreeDirectory());
                        break;
                    case TarEntryKind.File:
                        tree.Add(guest, new TreeFile(Range(entry, origin)));
                        byPath[guest] = entry;
                        break;
                    case TarEntryKind.Symlink:
                        tree.Add(guest, new TreeSymlink(entry.LinkTarget, origin));
                        break;
                    case TarEntryKind.HardLink:
                        string? target = GuestPath(entry.LinkTarget, ArchivePath);
                        if (target == null || !byPath.TryGetValue(target, out var linked))
                        {
                            throw new OsvException(ErrorIds.PackageInvalid, OsvErrorKind.InvalidData,
                                $"'{ArchivePath}': hard link '{entry.Name}' points to '{entry.LinkTarget}', which comes earlier in no member.", ArchivePath);
                        }
                        tree.Add(guest, new TreeFile(Range(linked, origin)));
                        break;
                    default:
                        continue;
                }
                onFile?.Invoke(guest, origin);
            }
        }

        private FileRangeSource Range(TarEntry entry, string origin)
            => new FileRangeSource(TarPath, entry.DataOffset, entry.Size, $"tar:{TarPath}:{entry.DataOffset}:{entry.Size}", origin);

        /// <summary>The guest path of a member name; null for the archive root; an error when it leaves the archive.</summary>
        internal static string? GuestPath(string memberName, string archivePath)
        {
            var parts = new List<string>();
            foreach (string part in memberName.Replace('\\', '/').Split('/'))
            {
                if (part.Length == 0 || part == ".")
                {
                    continue;
                }
                if (part == "..")
                {
                    throw new OsvException(ErrorIds.PackageInvalid, OsvErrorKind.InvalidData,
                        $"'{archivePath}': member '{memberName}' points outside the package.", archivePath);
                }
                parts.Add(part);
            }
            return parts.Count == 0 ? null : "/" + string.Join("/", parts);
        }

        private static string ReadText(string tarPath, TarEntry entry)
        {
            using (var f = File.OpenRead(tarPath))
            {
                f.Seek(entry.DataOffset, SeekOrigin.Begin);
                if (entry.Size > 1 << 20)
                {
                    throw new OsvException(ErrorIds.PackageInvalid, OsvErrorKind.InvalidData, $"'{tarPath}': a meta file of {entry.Size} bytes is beyond 1 MiB.", tarPath);
                }
                var b = new byte[entry.Size];
                IO.StreamReading.ReadFully(f, b, 0, b.Length);
                return ProjectStore.DecodeText(b, entry.Name);
            }
        }
    }
}
