using System;
using System.Globalization;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Remote
{
    /// <summary>Finds and saves loaders and packages from a release source into the repository.</summary>
    public sealed class RemoteCatalog
    {
        public static readonly IReadOnlyList<string> Variants = new[] { "default", "hidden", "microvm", "with-zfs" };

        private readonly CapstanRepository repository;
        private readonly ReleaseSource source;

        public RemoteCatalog(CapstanRepository repository, ReleaseSource source)
        {
            this.repository = repository;
            this.source = source;
        }

        private static string VariantOf(string asset)
            => asset.Contains("hidden") ? "hidden" : asset.Contains("microvm") ? "microvm" : asset.Contains("zfs") ? "with-zfs" : "default";

        private static bool IsLoader(string asset) => asset.StartsWith("osv-loader", StringComparison.Ordinal) && asset.Contains("qemu") && asset.Contains("x86_64");

        private static bool IsKernel(string asset) => asset.StartsWith("osv-loader", StringComparison.Ordinal) && asset.Contains("elf") && asset.Contains("x86_64");

        public IReadOnlyList<OsvRemoteImage> FindImages(Release release)
            => release.Assets.Where(a => IsLoader(a.Name)).Select(a =>
            {
                string variant = VariantOf(a.Name);
                var kernel = release.Assets.FirstOrDefault(k => IsKernel(k.Name) && VariantOf(k.Name) == variant);
                return new OsvRemoteImage("osv-loader", variant, release.Tag, a.Name, a.Size, a.Url, kernel?.Name);
            }).ToList();

        /// <summary>
        /// The packages the releases <paramref name="version"/> selects offer whose name <paramref name="matches"/>,
        /// from <paramref name="sourceUrl"/> (else the configured source).
        /// </summary>
        public static List<OsvPackage> FindPackages(CapstanRepository repository, string? sourceUrl, string version, Func<string, bool> matches,
            CancellationToken cancellation)
        {
            using var source = new ReleaseSource(ReleaseSource.Choose(sourceUrl, repository));
            var catalog = new RemoteCatalog(repository, source);
            var found = new List<OsvPackage>();
            foreach (var release in source.Select(version, cancellation))
            {
                found.AddRange(catalog.FindPackages(release).Where(p => matches(p.Name)));
            }
            return found;
        }

        public IReadOnlyList<OsvPackage> FindPackages(Release release)
            => release.Assets.Where(a => a.Name.EndsWith(".mpm", StringComparison.Ordinal) || a.Name.EndsWith(".mpm.x86_64", StringComparison.Ordinal))
                .Select(a => new OsvPackage(Repository.LocalPackages.PackageName(a.Name), null, release.Tag, null, new string[0], null, a.Size, release.Published, release.Tag, a.Url))
                .ToList();



        /// <summary>Downloads the loader (and its kernel ELF, unpacked) of <paramref name="variant"/> as image <paramref name="name"/>.</summary>
        public OsvImage SaveImage(string name, string? version, string variant, bool force, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            CapstanRepository.ValidateImageName(name);
            if (!Variants.Contains(variant))
            {
                throw new OsvException(ErrorIds.VariantInvalid, OsvErrorKind.InvalidArgument, $"'{variant}' is not a loader variant; use {string.Join(", ", Variants)}.", variant);
            }
            bool pinned = version != null && version != "latest";
            if (!force && pinned && repository.FindImageFile(name) != null && repository.ReadIndex(name).Version == version)
            {
                return repository.GetImage(name); // that release is here already: no network needed
            }
            var release = source.GetRelease(version, cancellation);
            var offer = FindImages(release).FirstOrDefault(i => i.Variant == variant)
                ?? throw new OsvException(ErrorIds.AssetNotFound, OsvErrorKind.ObjectNotFound,
                    $"release {release.Tag} at {source.Url} has no {(variant == "default" ? "" : variant + " ")}loader for QEMU on x86-64 (assets: {string.Join(", ", release.Assets.Select(a => a.Name))}).", name);
            if (!force && repository.FindImageFile(name) != null && repository.ReadIndex(name).Version == release.Tag)
            {
                return repository.GetImage(name);
            }
            string target = repository.ImageFile(name, Disk.DiskFormat.Raw);
            var loaderAsset = release.Assets.First(a => a.Name == offer.Asset);
            using var folder = repository.Writer();
            string hash = Downloader.Download(source, loaderAsset, folder, target, null, progress, cancellation);
            string? kernelHash = null;
            if (offer.KernelAsset != null)
            {
                var kernel = release.Assets.First(a => a.Name == offer.KernelAsset);
                kernelHash = Downloader.Download(source, kernel, folder, Path.ChangeExtension(target, ".elf"),
                    kernel.Name.EndsWith(".gz", StringComparison.Ordinal) ? (input, output) => IO.Gzip.Unpack(input, output, ImageImporter.MaxKernelBytes, kernel.Name, Errors.ErrorIds.KernelInvalid) : (Action<Stream, Stream>?)null,
                    progress, cancellation);
            }
            repository.WriteIndex(name, new ImageIndex
            {
                Version = release.Tag,
                Created = release.Published, // when OSv published it; the download time is no creation date
                Description = $"OSv loader {release.Tag}{(variant == "default" ? "" : " (" + variant + ")")} from {source.Url}",
                Build = loaderAsset.Name,
                Platform = null, // OSv's releases do not say where they were built
                Sha256 = hash,
                KernelSha256 = kernelHash,
            });
            return repository.GetImage(name);
        }

        /// <summary>Downloads package <paramref name="name"/> (its .mpm and .yaml) into <c>packages/</c>.</summary>
        public OsvPackage SavePackage(string name, string? version, bool force, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            if (name.Length == 0 || name.IndexOfAny(new[] { '/', '\\' }) >= 0 || name.StartsWith(".", StringComparison.Ordinal))
            {
                throw new OsvException(ErrorIds.PackageNameInvalid, OsvErrorKind.InvalidArgument, $"'{name}' is not a package name.", name);
            }
            string target = repository.PackageFile(name, ".mpm");
            if (!force && File.Exists(target) && (version == null || version == "latest"))
            {
                return LocalPackages().First(p => p.Name == name);
            }
            var release = source.GetRelease(version, cancellation);
            var asset = release.Assets.FirstOrDefault(a => a.Name == name + ".mpm") ?? release.Assets.FirstOrDefault(a => a.Name == name + ".mpm.x86_64")
                ?? throw new OsvException(ErrorIds.AssetNotFound, OsvErrorKind.ObjectNotFound,
                    $"release {release.Tag} at {source.Url} has no package '{name}' (packages there: {string.Join(", ", FindPackages(release).Select(p => p.Name))}).", name);
            using var folder = repository.Writer();
            string hash = Downloader.Download(source, asset, folder, target, null, progress, cancellation);
            folder.WriteAllText(Repository.LocalPackages.ShaFile(target), hash + "\n");
            var yaml = release.Assets.FirstOrDefault(a => a.Name == name + ".yaml");
            string yamlPath = repository.PackageFile(name, ".yaml");
            if (yaml != null)
            {
                Downloader.Download(source, yaml, folder, yamlPath, null, null, cancellation);
            }
            else
            {
                var archive = PackageArchive.Open(name, target, Path.Combine(repository.CachePath, "mpm"));
                if (archive.Manifest != null)
                {
                    folder.WriteAllText(yamlPath, PackageYaml.Serialize(archive.Manifest));
                }
            }
            return LocalPackages().First(p => p.Name == name);
        }

        /// <summary>The packages in <c>packages/</c>, by name.</summary>
        public IReadOnlyList<OsvPackage> LocalPackages() => Repository.LocalPackages.List(repository);

    }
}
