using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Yaml;

namespace OsvPS.Core.Repository
{
    /// <summary>The metadata of an image, as kept in its <c>index.yaml</c>.</summary>
    internal sealed class ImageIndex
    {
        public string? Version { get; set; }
        public DateTime? Created { get; set; }
        public string? Description { get; set; }
        public string? Build { get; set; }
        public string? Platform { get; set; }
        /// <summary>The loader an image was built from (OsvPS's own key; Capstan ignores it).</summary>
        public string? Loader { get; set; }
        /// <summary>SHA-256 of a downloaded image, checked when it is used.</summary>
        public string? Sha256 { get; set; }
        /// <summary>The SHA-256 of the kernel ELF kept beside a downloaded loader (as unpacked).</summary>
        public string? KernelSha256 { get; set; }
    }

    /// <summary>
    /// Capstan's repository (<c>$CAPSTAN_ROOT</c>, else <c>~/.capstan</c>): images under
    /// <c>repository/&lt;name&gt;/</c>, packages under <c>packages/</c>, instances under <c>instances/qemu/</c>.
    /// </summary>
    public sealed class CapstanRepository
    {
        public CapstanRepository(string? root = null)
        {
            Root = Path.GetFullPath(root ?? DefaultRoot());
        }

        public static string DefaultRoot()
        {
            string? env = Environment.GetEnvironmentVariable("CAPSTAN_ROOT");
            if (!string.IsNullOrEmpty(env))
            {
                return env!;
            }
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(string.IsNullOrEmpty(home) ? Environment.GetEnvironmentVariable("HOME") ?? "." : home, ".capstan");
        }

        public string Root { get; }
        public string ImagesPath => Path.Combine(Root, "repository");
        public string PackagesPath => Path.Combine(Root, "packages");
        public string InstancesPath => Path.Combine(Root, "instances", "qemu");
        public string CachePath => Path.Combine(Root, "cache", "osvps");

        /// <summary>
        /// What every write into the repository goes through: the root may be a link (a repository kept on
        /// another disk), the folders in it may not (FolderIsSymbolicLink). Dispose it after the writes.
        /// </summary>
        public ContainedFolder Writer() => new ContainedFolder(Root, rootMayBeLink: true);

        /// <summary>One write through <see cref="Writer"/>: a file under the root, through a temporary beside it.</summary>
        public void WriteFile(string path, Action<FileStream> writer)
        {
            using (var folder = Writer())
            {
                folder.WriteFile(path, writer);
            }
        }

        public void WriteText(string path, string text)
        {
            using (var folder = Writer())
            {
                folder.WriteAllText(path, text);
            }
        }

        /// <summary>Deletes a file under the root if it is there (never through a link).</summary>
        public void DeleteFile(string path)
        {
            using (var folder = Writer())
            {
                folder.Delete(path);
            }
        }

        /// <summary>Moves a finished temporary over <paramref name="target"/> in the same folder, never through a link.</summary>
        public void Commit(string temporary, string target)
        {
            using (var folder = Writer())
            {
                folder.Move(temporary, target);
            }
        }

        /// <summary>Creates a folder under the root (and those above it), refusing one that is a link (FolderIsSymbolicLink).</summary>
        public void CreateFolder(string path)
        {
            using (var folder = Writer())
            {
                folder.CreateFolder(path);
            }
        }

        /// <summary>Image names are one or two segments (<c>name</c>, <c>namespace/name</c>) of letters, digits, '.', '_' and '-'.</summary>
        public static void ValidateImageName(string name)
        {
            var parts = name.Split('/');
            if (name.Length == 0 || parts.Length > 2 || parts.Any(p => p.Length == 0 || p == "." || p == ".." ||
                p.Any(c => !(char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == '-'))))
            {
                throw new OsvException(ErrorIds.ImageNameInvalid, OsvErrorKind.InvalidArgument,
                    $"'{name}' is not a valid image name: use 'name' or 'namespace/name' with letters, digits, '.', '_' and '-'.", name);
            }
        }

        /// <summary>Refuses a package name that is not one file name (see <see cref="PackageNames.Validate"/>).</summary>
        public static void ValidatePackageName(string name, string? source = null) => PackageNames.Validate(name, source);

        /// <summary><c>packages/&lt;name&gt;&lt;extension&gt;</c>, for a valid package name only.</summary>
        public string PackageFile(string name, string extension)
        {
            ValidatePackageName(name);
            return Path.Combine(PackagesPath, name + extension);
        }

        public string ImageFolder(string name) => Path.Combine(ImagesPath, name.Replace('/', Path.DirectorySeparatorChar));

        public static string BaseName(string name) => name.Substring(name.LastIndexOf('/') + 1);

        /// <summary>Where an image of <paramref name="format"/> is stored.</summary>
        public string ImageFile(string name, DiskFormat format) => Path.Combine(ImageFolder(name), BaseName(name) + DiskFormats.FileExtension(format));

        /// <summary>The image file of <paramref name="name"/>, or null when the repository has none.</summary>
        public string? FindImageFile(string name)
        {
            string folder = ImageFolder(name);
            string baseName = BaseName(name);
            foreach (string ext in new[] { ".qemu", ".vmdk", ".vdi", ".vhdx" })
            {
                string candidate = Path.Combine(folder, baseName + ext);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            return null;
        }

        /// <summary>All images, sorted by name.</summary>
        public IEnumerable<OsvImage> GetImages()
        {
            if (!Directory.Exists(ImagesPath))
            {
                yield break;
            }
            var names = new List<string>();
            foreach (string dir in Directory.GetDirectories(ImagesPath))
            {
                string first = Path.GetFileName(dir);
                if (FindImageFile(first) != null)
                {
                    names.Add(first);
                }
                foreach (string sub in Directory.GetDirectories(dir))
                {
                    string second = first + "/" + Path.GetFileName(sub);
                    if (FindImageFile(second) != null)
                    {
                        names.Add(second);
                    }
                }
            }
            foreach (string name in names.OrderBy(n => n, StringComparer.Ordinal))
            {
                var image = TryGetImage(name);
                if (image != null)
                {
                    yield return image;
                }
            }
        }

        /// <summary>The image called <paramref name="name"/>, or null.</summary>
        public OsvImage? TryGetImage(string name)
        {
            string? file = FindImageFile(name);
            if (file == null)
            {
                return null;
            }
            var info = new FileInfo(file);
            var format = DiskFormats.Detect(file);
            long? virtualSize;
            try
            {
                virtualSize = DiskFormats.VirtualSize(file, format);
            }
            catch (Exception e) when (e is OsvException || e is IOException || e is ArgumentException || e is OverflowException)
            {
                // A damaged image is still listed (its size unknown): one bad file never hides the rest.
                virtualSize = null;
            }
            var index = ReadIndex(name);
            var (commandLine, configSets) = ReadBootFacts(file, format);
            // No created (missing, empty, unreadable) is shown as none: a download or import time is no creation date.
            return new OsvImage(name, file, format, virtualSize, info.Length, index.Created,
                index.Description, index.Version, index.Platform, index.Build, commandLine, configSets);
        }

        // The command line and /run names of an OSv disk; a loader alone has a command line and no sets.
        private static (string? CommandLine, string[] ConfigSets) ReadBootFacts(string file, DiskFormat format)
        {
            if (format != DiskFormat.Raw && format != DiskFormat.Qcow2)
            {
                return (null, new string[0]);
            }
            try
            {
                using (var disk = DiskReader.Open(file))
                {
                    byte[] boot = disk.Read(0, OsvDiskLayout.SectorSize);
                    if (boot[510] != 0x55 || boot[511] != 0xAA)
                    {
                        return (null, new string[0]);
                    }
                    return (OsvDiskLayout.ReadCommandLine(disk), Rofs.RofsIndex.List(disk, "/run").ToArray());
                }
            }
            catch (Exception e) when (e is OsvException || e is IOException || e is ArgumentException || e is IndexOutOfRangeException || e is OverflowException)
            {
                return (null, new string[0]);
            }
        }

        public OsvImage GetImage(string name)
            => TryGetImage(name) ?? throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound,
                $"there is no image '{name}' in {ImagesPath}.", name);

        internal ImageIndex ReadIndex(string name) => ReadIndexFile(Path.Combine(ImageFolder(name), "index.yaml"));

        /// <summary>An image folder's index.yaml; empty when it is missing or unreadable.</summary>
        internal static ImageIndex ReadIndexFile(string path)
        {
            var index = new ImageIndex();
            if (!File.Exists(path))
            {
                return index;
            }
            try
            {
                var doc = YamlDocument.Parse(Packaging.ProjectStore.ReadText(path), path, ErrorIds.ImageIndexInvalid);
                index.Version = doc.Scalar(doc.Root, "version");
                index.Description = doc.Scalar(doc.Root, "description");
                index.Build = doc.Scalar(doc.Root, "build");
                index.Platform = doc.Scalar(doc.Root, "platform");
                index.Loader = InsideRepository(doc.Scalar(doc.Root, "loader"), path);
                index.Sha256 = doc.Scalar(doc.Root, "sha256");
                index.KernelSha256 = doc.Scalar(doc.Root, "kernel_sha256");
                index.Created = LocalPackages.CreatedTime(doc.Scalar(doc.Root, "created"));
            }
            catch (OsvException)
            {
                // A damaged index.yaml hides metadata; the image itself is still listed and usable.
            }
            return index;
        }

        /// <summary>
        /// <paramref name="loader"/> (the <c>loader</c> of the index.yaml at <paramref name="indexPath"/>) when it
        /// is a file of the same repository's images folder; null otherwise. Only what the repository holds is
        /// ever booted: a kernel is looked for beside the loader, so a loader named outside would bring one
        /// from anywhere. (Images built from a loader file outside the repository boot from their disk.)
        /// </summary>
        internal static string? InsideRepository(string? loader, string indexPath)
        {
            if (loader == null || !Path.IsPathRooted(loader))
            {
                return null;
            }
            // index.yaml is <root>/repository/<name>/index.yaml or <root>/repository/<namespace>/<name>/index.yaml.
            string? imageFolder = Path.GetDirectoryName(Path.GetFullPath(indexPath));
            string? images = new[] { Path.GetDirectoryName(Path.GetDirectoryName(imageFolder ?? "") ?? ""), Path.GetDirectoryName(imageFolder ?? "") }
                .FirstOrDefault(f => f != null && Path.GetFileName(f) == "repository");
            string full = Path.GetFullPath(loader);
            return images != null && full.StartsWith(images + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
        }

        internal void WriteIndex(string name, ImageIndex index)
        {
            string text = new YamlWriter()
                .Value("format_version", "1")
                .Value("version", index.Version)
                .Value("created", index.Created?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))
                .Value("description", index.Description)
                .Value("build", index.Build)
                .Value("platform", index.Platform)
                .Value("loader", index.Loader)
                .Value("sha256", index.Sha256)
                .Value("kernel_sha256", index.KernelSha256)
                .ToString();
            WriteText(Path.Combine(ImageFolder(name), "index.yaml"), text);
        }

        /// <summary>A package archive <c>packages/&lt;name&gt;.mpm</c> (or <c>.mpm.x86_64</c>), or null.</summary>
        public string? FindPackageArchive(string name)
        {
            foreach (string extension in new[] { ".mpm", ".mpm.x86_64" })
            {
                string path = PackageFile(name, extension);
                if (File.Exists(path))
                {
                    return path;
                }
            }
            return null;
        }

        /// <summary>Removes an image's folder (and an empty namespace folder above it).</summary>
        public void RemoveImage(string name)
        {
            string folder = ImageFolder(name);
            string? file = FindImageFile(name);
            if (file == null)
            {
                throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound, $"there is no image '{name}' in {ImagesPath}.", name);
            }
            using (var writer = Writer())
            {
                writer.Delete(file);
                foreach (string extra in new[] { "index.yaml", BaseName(name) + ".osvps-build" })
                {
                    writer.Delete(Path.Combine(folder, extra));
                }
                foreach (DiskFormat any in Enum.GetValues(typeof(DiskFormat)))
                {
                    AtomicFile.SweepTemporaries(ImageFile(name, any));
                }
                writer.DeleteEmptyFolder(folder);
                if (name.Contains("/"))
                {
                    writer.DeleteEmptyFolder(Path.GetDirectoryName(folder)!);
                }
            }
        }
    }
}
