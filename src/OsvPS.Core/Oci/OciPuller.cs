using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Oci
{
    /// <summary>What a pull will do, decided before any layer is fetched.</summary>
    public sealed class PullPlan
    {
        internal PullPlan(RemoteManifest manifest, string name, DiskFormat format, string targetPath)
        {
            Manifest = manifest;
            Name = name;
            Format = format;
            TargetPath = targetPath;
        }

        public RemoteManifest Manifest { get; }
        /// <summary>The repository name the image is saved as.</summary>
        public string Name { get; }
        public DiskFormat Format { get; }
        public string TargetPath { get; }
    }

    /// <summary>
    /// Pulls an OsvPS image from a registry into the repository: the layers (digest-checked, resumable, in
    /// <c>cache/osvps/oci/</c>), the disk and kernel out of them (their SHA-256 must be the ones the labels
    /// give: the same bytes that were published), then, only when all is there, the files under their names
    /// and the index.yaml. A failure leaves the repository as it was.
    /// </summary>
    public sealed class OciPuller
    {
        private readonly CapstanRepository repository;

        public OciPuller(CapstanRepository repository) => this.repository = repository;

        public string CachePath => Path.Combine(repository.CachePath, "oci");

        /// <summary>The default repository name for a pull: the repository's last segment.</summary>
        public static string DefaultName(ImageReference reference) => reference.Repository.Substring(reference.Repository.LastIndexOf('/') + 1);

        public PullPlan Plan(RegistryClient client, string? name, bool force, CancellationToken cancellation)
        {
            name ??= DefaultName(client.Reference);
            CapstanRepository.ValidateImageName(name);
            if (!force && repository.FindImageFile(name) != null)
            {
                throw new OsvException(ErrorIds.ImageExists, OsvErrorKind.ResourceExists,
                    $"the repository already has an image '{name}'; use -Force to replace it, or -Name to save it under another name.", name);
            }
            var manifest = RemoteManifest.Read(client, cancellation);
            var format = manifest.Labels.DiskFormat switch
            {
                "qcow2" => DiskFormat.Qcow2,
                "raw" => DiskFormat.Raw,
                _ => throw new OsvException(ErrorIds.OciNotAnOsvImage, OsvErrorKind.InvalidData,
                    $"'{client.Reference}' says its disk is '{manifest.Labels.DiskFormat}'; OsvPS publishes qcow2 or raw.", client.Reference.ToString()),
            };
            foreach (var layer in manifest.Layers)
            {
                if (OciMediaTypes.IsGzipLayer(layer.MediaType) == null)
                {
                    throw RemoteManifest.NotSupported(client.Reference, $"a layer is '{layer.MediaType}' (OsvPS unpacks tar and tar+gzip layers)");
                }
            }
            return new PullPlan(manifest, name, format, repository.ImageFile(name, format));
        }

        public OsvImage Pull(RegistryClient client, PullPlan plan, IProgress<TransferProgress>? progress, CancellationToken cancellation)
        {
            var labels = plan.Manifest.Labels;
            // Every file of the pull (cache, image folder) is written through the repository's writer: a folder on
            // the way that is a link (repository/<name>, cache/osvps/oci) is refused, never written through.
            using var store = repository.Writer();
            var downloader = new BlobDownloader(client, store, CachePath, progress);
            var wanted = new Dictionary<string, (string Name, string Sha256, string Target)>(StringComparer.Ordinal)
            {
                [Relative(labels.DiskPath)] = ("the disk", labels.DiskSha256, plan.TargetPath),
            };
            if (labels.KernelPath != null && labels.KernelSha256 != null)
            {
                wanted[Relative(labels.KernelPath)] = ("the kernel", labels.KernelSha256, Path.Combine(repository.ImageFolder(plan.Name), CapstanRepository.BaseName(plan.Name) + ".elf"));
            }
            string folder = repository.ImageFolder(plan.Name);
            bool created = !Directory.Exists(folder);
            var extracted = new Dictionary<string, string>(StringComparer.Ordinal);
            var cached = new List<string>();
            try
            {
                store.CreateFolder(folder);
                for (int i = 0; i < plan.Manifest.Layers.Count && extracted.Count < wanted.Count; i++)
                {
                    var layer = plan.Manifest.Layers[i];
                    string blob = downloader.Fetch($"layer {i + 1} of {plan.Manifest.Layers.Count}", layer, cancellation);
                    cached.Add(blob);
                    Extract(store, blob, OciMediaTypes.IsGzipLayer(layer.MediaType) == true, wanted, extracted, client.Reference, cancellation);
                }
                foreach (var missing in wanted.Where(w => !extracted.ContainsKey(w.Key)))
                {
                    throw new OsvException(ErrorIds.OciNotAnOsvImage, OsvErrorKind.InvalidData,
                        $"no layer of '{client.Reference}' holds /{missing.Key}, which its labels name.", client.Reference.ToString());
                }
                if (plan.Format == DiskFormat.Qcow2)
                {
                    // Refuses a qcow2 that needs a backing file (a host path), is encrypted or damaged.
                    using (new Qcow2Reader(extracted[Relative(labels.DiskPath)]))
                    {
                    }
                }
                foreach (var file in extracted)
                {
                    store.Move(file.Value, wanted[file.Key].Target);
                }
                extracted.Clear();
            }
            catch (Exception e)
            {
                foreach (string temp in extracted.Values)
                {
                    TryDelete(store, temp);
                }
                if (e is OsvException full && full.ErrorId == ErrorIds.DiskSpaceInsufficient)
                {
                    // Out of space: the layers written whole give theirs back (a broken transfer keeps them, to resume).
                    foreach (string blob in cached)
                    {
                        TryDelete(store, blob);
                    }
                }
                if (created)
                {
                    try
                    {
                        store.DeleteEmptyFolder(folder);
                    }
                    catch (Exception cleanup) when (cleanup is IOException || cleanup is OsvException || cleanup is UnauthorizedAccessException)
                    {
                        // Not empty, or not ours to remove: left as it is.
                    }
                }
                throw;
            }
            foreach (DiskFormat other in Enum.GetValues(typeof(DiskFormat)))
            {
                if (repository.ImageFile(plan.Name, other) != plan.TargetPath)
                {
                    store.Delete(repository.ImageFile(plan.Name, other));
                }
            }
            if (labels.KernelPath == null)
            {
                store.Delete(Path.Combine(folder, CapstanRepository.BaseName(plan.Name) + ".elf"));
            }
            store.Delete(Path.Combine(folder, CapstanRepository.BaseName(plan.Name) + ".osvps-build"));
            repository.WriteIndex(plan.Name, new ImageIndex
            {
                Version = labels.Version,
                Created = labels.Created,
                Description = labels.Description ?? $"pulled from {plan.Manifest.Reference}",
                Platform = labels.Platform,
                Sha256 = Digest.Hex(labels.DiskSha256),
                KernelSha256 = labels.KernelSha256 == null ? null : Digest.Hex(labels.KernelSha256),
            });
            foreach (string blob in cached)
            {
                TryDelete(store, blob);
            }
            return repository.GetImage(plan.Name);
        }

        private static void TryDelete(ContainedFolder store, string path)
        {
            try
            {
                store.Delete(path);
            }
            catch (Exception e) when (e is IOException || e is OsvException || e is UnauthorizedAccessException)
            {
                // Clean-up after a failure: the failure is what the caller hears of.
            }
        }

        private static string Relative(string path) => path.TrimStart('/');

        // Copies the wanted members of one layer to temporaries beside their targets, checking each one's SHA-256.
        private static void Extract(ContainedFolder store, string blob, bool gzip, Dictionary<string, (string Name, string Sha256, string Target)> wanted,
            Dictionary<string, string> extracted, ImageReference reference, CancellationToken cancellation)
        {
            string tar = blob;
            if (gzip)
            {
                tar = blob + ".tar";
                // A layer may unpack to far more than it weighs (a gzip bomb): it stops, cleanly, before it takes
                // the disk's last space (what is free less a reserve), and what it wrote is removed.
                long free = DiskSpace.Available(store.Root) ?? long.MaxValue;
                long limit = free == long.MaxValue ? long.MaxValue : free - Math.Max(64L << 20, free / 20);
                try
                {
                    using (var input = new GZipStream(UnixFile.OpenRegular(blob), CompressionMode.Decompress))
                    using (var output = store.OpenForWriting(tar, append: false))
                    {
                        var buffer = new byte[1 << 20];
                        long written = 0;
                        int n;
                        while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                        {
                            cancellation.ThrowIfCancellationRequested();
                            written += n;
                            if (written > limit)
                            {
                                throw new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                                    $"a layer of '{reference}' unpacks to more than the {Math.Max(0, limit) >> 20} MiB the disk of '{store.Root}' can spare (a {new FileInfo(blob).Length >> 20} MiB download); nothing of it was kept.", reference.ToString());
                            }
                            output.Write(buffer, 0, n);
                        }
                    }
                }
                catch (IOException e) when (DiskSpace.IsFull(e))
                {
                    TryDelete(store, tar);
                    throw new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                        $"the disk of '{store.Root}' filled up while a layer of '{reference}' was unpacked; nothing of it was kept. Free some space and pull again.", reference.ToString(), e);
                }
                catch
                {
                    TryDelete(store, tar);
                    throw;
                }
            }
            try
            {
                using (var stream = UnixFile.OpenRegular(tar))
                {
                    foreach (var entry in TarReader.ReadEntries(stream, "a layer of " + reference))
                    {
                        string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name.Substring(2) : entry.Name.TrimStart('/');
                        if (entry.Kind != TarEntryKind.File || !wanted.TryGetValue(name, out var want) || extracted.ContainsKey(name))
                        {
                            continue;
                        }
                        string temp = AtomicFile.TemporaryPathFor(want.Target);
                        // Written whole and checked before it gets its temporary name; a mismatch leaves nothing.
                        try
                        {
                            store.WriteFile(temp, output =>
                            {
                                stream.Position = entry.DataOffset;
                                string actual = Copy(stream, output, entry.Size, cancellation);
                                if (actual != want.Sha256)
                                {
                                    throw RemoteManifest.Mismatch(reference, want.Name, want.Sha256, actual);
                                }
                            });
                        }
                        catch (Exception e) when ((e is IOException || e is OsvException) && DiskSpace.IsFull(e))
                        {
                            throw new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                                $"the disk of '{store.Root}' filled up while {want.Name} of '{reference}' ({entry.Size} bytes) was written; nothing of it was kept. Free some space and pull again.", reference.ToString(), e);
                        }
                        extracted[name] = temp;
                    }
                }
            }
            finally
            {
                if (gzip)
                {
                    TryDelete(store, tar);
                }
            }
        }

        // Copies length bytes and returns their digest, hashed on the way.
        private static string Copy(Stream input, Stream output, long length, CancellationToken cancellation)
        {
            var buffer = new byte[1 << 20];
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            while (length > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
                if (n == 0)
                {
                    throw new IOException("a layer ended inside a file");
                }
                output.Write(buffer, 0, n);
                hash.AppendData(buffer, 0, n);
                length -= n;
            }
            return Digest.Format(hash.GetHashAndReset());
        }
    }
}
