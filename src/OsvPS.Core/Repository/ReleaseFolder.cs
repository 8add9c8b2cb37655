using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Repository
{
    /// <summary>
    /// A folder of OSv's release assets under the names OSv's releases give them (<c>osv-loader.qemu.x86_64</c>,
    /// <c>osv-loader.elf.x86_64.gz</c>, <c>osv.bootstrap.mpm.x86_64</c>, <c>osv.bootstrap.yaml</c>, ...):
    /// what a download would have put into the repository, taken from disk.
    /// </summary>
    public sealed class ReleaseFolder
    {
        private const string LoaderAsset = "osv-loader.qemu.x86_64";
        private static readonly string[] KernelAssets = { "osv-loader.elf.x86_64.gz", "osv-loader.elf.x86_64" };

        private ReleaseFolder(string folder, string loader, string? kernel, IReadOnlyList<(string Name, string Archive, string? Yaml)> packages)
        {
            Folder = folder;
            Loader = loader;
            Kernel = kernel;
            Packages = packages;
        }

        public string Folder { get; }
        /// <summary>The disk loader (<c>osv-loader.qemu.x86_64</c>).</summary>
        public string Loader { get; }
        /// <summary>Its kernel ELF (plain or gzip), or null.</summary>
        public string? Kernel { get; }
        /// <summary>Each package: its name, its archive, and its description beside it when there is one.</summary>
        public IReadOnlyList<(string Name, string Archive, string? Yaml)> Packages { get; }

        /// <summary>Reads what the folder holds; a folder without the disk loader is ReleaseFolderInvalid.</summary>
        public static ReleaseFolder Read(string folder)
        {
            if (!Directory.Exists(folder))
            {
                throw new OsvException(ErrorIds.ReleaseFolderInvalid, OsvErrorKind.ObjectNotFound, $"'{folder}' is not a folder.", folder);
            }
            string loader = Path.Combine(folder, LoaderAsset);
            if (!File.Exists(loader))
            {
                throw new OsvException(ErrorIds.ReleaseFolderInvalid, OsvErrorKind.ObjectNotFound,
                    $"'{folder}' holds no {LoaderAsset}: a folder of OSv's release assets has the disk loader under that name (and its kernel as {KernelAssets[0]}).", folder);
            }
            string? kernel = KernelAssets.Select(k => Path.Combine(folder, k)).FirstOrDefault(File.Exists);
            var packages = new List<(string, string, string?)>();
            foreach (string file in Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal))
            {
                string asset = Path.GetFileName(file);
                if (!asset.EndsWith(".mpm", StringComparison.Ordinal) && !asset.EndsWith(".mpm.x86_64", StringComparison.Ordinal))
                {
                    continue;
                }
                string name = LocalPackages.PackageName(asset);
                PackageNames.Validate(name, file);
                string yaml = Path.Combine(folder, name + ".yaml");
                packages.Add((name, file, File.Exists(yaml) ? yaml : null));
            }
            return new ReleaseFolder(folder, loader, kernel, packages);
        }

        /// <summary>
        /// Imports the loader as <paramref name="loaderName"/> with its kernel attached, and each package into
        /// <c>packages/</c> as <c>&lt;name&gt;.mpm</c> with its description (one made from the archive when the
        /// folder has none), as Save-OsvImage and Save-OsvPackage would have.
        /// </summary>
        public (OsvImage Loader, IReadOnlyList<OsvPackage> Packages) Import(CapstanRepository repository, string loaderName, bool force, CancellationToken cancellation)
        {
            var importer = new ImageImporter(repository);
            var plan = importer.Plan(Loader, loaderName, force);
            string? version = Packages.Select(p => p.Yaml).Where(y => y != null)
                .Select(y => PackageYaml.Parse(ProjectStore.ReadText(y!), y!).Version).FirstOrDefault(v => !string.IsNullOrEmpty(v));
            var image = importer.Import(plan, $"OSv loader{(version == null ? "" : " " + version)} from {Folder}", version, cancellation);
            if (Kernel != null)
            {
                importer.AttachKernel(loaderName, Kernel, cancellation);
                image = repository.GetImage(loaderName);
            }
            repository.CreateFolder(repository.PackagesPath);
            foreach (var (name, archive, yaml) in Packages)
            {
                cancellation.ThrowIfCancellationRequested();
                string target = repository.PackageFile(name, ".mpm");
                if (!force && File.Exists(target))
                {
                    continue; // a package the repository has is kept, as a download would keep it
                }
                // Opened first: an archive that is not a package is refused before anything is written.
                var opened = PackageArchive.Open(name, archive, Path.Combine(repository.CachePath, "mpm"));
                repository.WriteFile(target, output =>
                {
                    using (var input = File.OpenRead(archive))
                    {
                        input.CopyTo(output);
                    }
                });
                if (yaml != null || opened.Manifest != null)
                {
                    repository.WriteText(repository.PackageFile(name, ".yaml"), yaml != null ? ProjectStore.ReadText(yaml) : PackageYaml.Serialize(opened.Manifest!));
                }
            }
            var names = new HashSet<string>(Packages.Select(p => p.Name), StringComparer.Ordinal);
            return (image, LocalPackages.List(repository).Where(p => names.Contains(p.Name)).ToList());
        }
    }
}
