using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Qemu;
using OsvPS.Core.Rofs;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Building
{
    /// <summary>What Build-OsvImage was asked for.</summary>
    public sealed class ImageBuildRequest
    {
        public OsvProject Project { get; set; } = null!;
        /// <summary>The image name (default: the project's name).</summary>
        public string? Name { get; set; }
        /// <summary>A repository image name or a file path (default <c>osv-loader</c>).</summary>
        public string LoaderImage { get; set; } = "osv-loader";
        public IReadOnlyList<string>? Boot { get; set; }
        public IReadOnlyDictionary<string, string>? Env { get; set; }
        public string? CommandLine { get; set; }
        public DiskFormat Format { get; set; } = DiskFormat.Qcow2;
        public ComposeOptions Compose { get; set; } = new ComposeOptions();

        /// <summary>Build even when a config set boots a program the image does not hold (one a file system mounted at run time brings).</summary>
        public bool SkipProgramCheck { get; set; }
    }

    /// <summary>Bytes written so far of a build.</summary>
    public sealed class BuildProgress
    {
        public BuildProgress(long written, long total, string currentFile)
        {
            BytesWritten = written;
            TotalBytes = total;
            CurrentFile = currentFile;
        }

        public long BytesWritten { get; }
        public long TotalBytes { get; }
        public string CurrentFile { get; }
    }

    /// <summary>A checked build, ready to write: everything is known before a byte is written.</summary>
    public sealed class ImageBuildPlan
    {
        internal ImageBuildPlan(string name, string outputPath, DiskFormat format, string loaderPath, string commandLine,
            ComposedTree composed, RofsWriter rofs, string fingerprint, string? version)
        {
            Name = name;
            OutputPath = outputPath;
            Format = format;
            LoaderPath = loaderPath;
            CommandLine = commandLine;
            Composed = composed;
            Rofs = rofs;
            Fingerprint = fingerprint;
            Version = version;
        }

        public string Name { get; }
        public string OutputPath { get; }
        public DiskFormat Format { get; }
        public string LoaderPath { get; }
        public string CommandLine { get; }
        public ComposedTree Composed { get; }
        internal RofsWriter Rofs { get; }
        public string Fingerprint { get; }
        public string? Version { get; }

        /// <summary>Bytes of file content that go into the file system.</summary>
        public long FileSystemBytes => Rofs.TotalBytes;
    }

    /// <summary>Builds images into the repository: plan, check freshness, write beside the target, rename.</summary>
    public sealed class ImageBuilder
    {
        private readonly CapstanRepository repository;

        public ImageBuilder(CapstanRepository repository) => this.repository = repository;

        /// <summary>
        /// The path of the loader named by <paramref name="loader"/>: an image name ('osv-loader',
        /// 'mike/osv-loader') is looked up in the repository only, with its recorded hash checked, so a
        /// file of that name in the current folder can never stand in for it; anything else is a file path.
        /// </summary>
        public string ResolveLoader(string loader)
        {
            bool isImageName;
            try
            {
                CapstanRepository.ValidateImageName(loader);
                isImageName = true;
            }
            catch (OsvException)
            {
                isImageName = false;
            }
            if (!isImageName)
            {
                return File.Exists(loader) ? Path.GetFullPath(loader) : throw new OsvException(ErrorIds.LoaderImageNotFound, OsvErrorKind.ObjectNotFound,
                    $"loader image file '{loader}' does not exist.", loader);
            }
            string file = repository.FindImageFile(loader) ?? throw new MissingInputException(new MissingInput(MissingInputKind.Loader, loader),
                $"loader image '{loader}' is not in {repository.ImagesPath}; import one with " +
                $"'Import-OsvImage <loader.img> -Name {loader}' or download it with 'Save-OsvImage osv-loader'" +
                (File.Exists(loader) ? $"; to use the file '{loader}' in this folder, name it as a path ('./{loader}')." : "."));
            string? expected = repository.ReadIndex(loader).Sha256;
            if (expected != null && IO.FileHash.Sha256(file) != expected)
            {
                throw new OsvException(ErrorIds.LoaderImageCorrupt, OsvErrorKind.InvalidData,
                    $"loader image '{loader}' ({file}) no longer matches the SHA-256 recorded when it was downloaded; fetch it again with 'Save-OsvImage {loader} -Force'.", loader);
            }
            return file;
        }

        /// <summary>
        /// Checks a build and decides everything about it, nothing written. When the repository lacks a loader
        /// image or a package the build needs, <paramref name="fetch"/> (when given) is asked to bring it, once
        /// each, and the plan is made again; false or null leaves the error to the caller.
        /// </summary>
        public ImageBuildPlan Plan(ImageBuildRequest request, Func<MissingInput, bool>? fetch)
        {
            var asked = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                try
                {
                    return Plan(request);
                }
                catch (MissingInputException e) when (fetch != null && asked.Add(e.Input.ToString()))
                {
                    // Fetched here, not in the filter: an exception thrown in a filter is swallowed, and the
                    // user would read "not in the repository" instead of why the download failed.
                    bool fetched;
                    try
                    {
                        fetched = fetch(e.Input);
                    }
                    catch (OsvException why)
                    {
                        throw new OsvException(why.Id, why.Kind,
                            $"{e.Input} is not in the repository, and downloading it failed: {why.Message}", why.Target ?? e.Input.Name, why);
                    }
                    if (!fetched)
                    {
                        throw;
                    }
                }
            }
        }

        public ImageBuildPlan Plan(ImageBuildRequest request)
        {
            string name = request.Name ?? DefaultImageName(request.Project.Name);
            CapstanRepository.ValidateImageName(name);
            if (request.Project.Run is RunConfig run && run.ConfigSets.Count == 0 && string.IsNullOrEmpty(request.CommandLine) && (request.Boot == null || request.Boot.Count == 0))
            {
                // New-OsvProject's template: nothing to run yet, and the image would boot into nothing.
                throw new OsvException(ErrorIds.ConfigSetMissing, OsvErrorKind.InvalidData,
                    $"project '{request.Project.Name}' defines no config set yet: write a boot command under 'config_set:' in {ProjectStore.RunPath(request.Project.Path)} (New-OsvProject -BootCommand writes one), or give -CommandLine.",
                    request.Project.Name);
            }
            string loaderPath = ResolveLoader(request.LoaderImage);
            using (var loader = DiskReader.Open(loaderPath))
            {
                OsvDiskLayout.LoaderSize(loader, loaderPath);
            }
            var composed = new ImageComposer(repository).Compose(request.Project, request.Compose);
            var available = composed.ConfigSets.Select(s => s.Name).ToList();
            string commandLine = BootCommands.ComposeCommandLine(request.CommandLine, request.Boot, request.Env,
                request.Project.Run?.DefaultConfigSets, available);
            if (!request.SkipProgramCheck)
            {
                BootPrograms.CheckImage(composed, request.Project.Name, commandLine);
            }
            var rofs = new RofsWriter(composed.Tree);
            string output = repository.ImageFile(name, request.Format);
            string fingerprint = Fingerprint(request.Format, commandLine, loaderPath, composed.Tree);
            return new ImageBuildPlan(name, output, request.Format, loaderPath, commandLine, composed, rofs, fingerprint, request.Project.Version);
        }

        /// <summary>
        /// The image name a project gets without -Name: its package name, with each character an image name
        /// cannot hold (Capstan's package names may hold spaces: "Capstan tester") written as '-'.
        /// </summary>
        public static string DefaultImageName(string projectName)
        {
            var name = new StringBuilder(projectName.Length);
            foreach (char c in projectName)
            {
                name.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == '-' ? c : '-');
            }
            return name.ToString();
        }

        private string FingerprintFile(string name) => Path.Combine(repository.ImageFolder(name), CapstanRepository.BaseName(name) + ".osvps-build");

        /// <summary>True when the image on disk was built from exactly this plan's inputs.</summary>
        public bool IsUpToDate(ImageBuildPlan plan)
        {
            string record = FingerprintFile(plan.Name);
            if (!File.Exists(record) || !File.Exists(plan.OutputPath))
            {
                return false;
            }
            var image = new FileInfo(plan.OutputPath);
            return File.ReadAllText(record) == RecordText(plan.Fingerprint, image);
        }

        private static string RecordText(string fingerprint, FileInfo image)
            => $"{fingerprint}\n{image.Length}\n{image.LastWriteTimeUtc.Ticks}\n";

        /// <summary>Writes the image (unless up to date and not forced) and returns it.</summary>
        public OsvImage Build(ImageBuildPlan plan, bool force, IProgress<BuildProgress>? progress, CancellationToken cancellation)
        {
            string folder = repository.ImageFolder(plan.Name);
            repository.CreateFolder(folder);
            using (AcquireLock(folder, plan.Name))
            {
                // Under the build lock, a temporary beside the image is a killed build's: sweep it.
                foreach (DiskFormat any in Enum.GetValues(typeof(DiskFormat)))
                {
                    AtomicFile.SweepTemporaries(repository.ImageFile(plan.Name, any));
                }
                if (!force && IsUpToDate(plan))
                {
                    return repository.GetImage(plan.Name);
                }
                string temp = AtomicFile.TemporaryPathFor(plan.OutputPath);
                string? converted = null;
                try
                {
                    WriteDisk(plan, temp, progress, cancellation);
                    if (plan.Format != DiskFormat.Qcow2 && plan.Format != DiskFormat.Raw)
                    {
                        converted = AtomicFile.TemporaryPathFor(plan.OutputPath);
                        Convert(temp, converted, plan.Format, cancellation);
                        AtomicFile.TryDelete(temp);
                        temp = converted;
                    }
                    // A previous image of another format would shadow this one in lookups.
                    foreach (DiskFormat other in Enum.GetValues(typeof(DiskFormat)))
                    {
                        string otherPath = repository.ImageFile(plan.Name, other);
                        if (otherPath != plan.OutputPath)
                        {
                            AtomicFile.TryDelete(otherPath);
                        }
                    }
                    repository.Commit(temp, plan.OutputPath);
                }
                catch
                {
                    AtomicFile.TryDelete(temp);
                    if (converted != null)
                    {
                        AtomicFile.TryDelete(converted);
                    }
                    throw;
                }
                repository.WriteIndex(plan.Name, new ImageIndex
                {
                    Version = plan.Version,
                    Created = DateTime.UtcNow,
                    Description = $"{plan.Composed.Packages.Last()} built by OsvPS",
                    Build = "OsvPS Build-OsvImage",
                    Platform = HostPlatform.Current,
                    Loader = plan.LoaderPath,
                });
                repository.WriteText(FingerprintFile(plan.Name), RecordText(plan.Fingerprint, new FileInfo(plan.OutputPath)));
                return repository.GetImage(plan.Name);
            }
        }

        private static void WriteDisk(ImageBuildPlan plan, string path, IProgress<BuildProgress>? progress, CancellationToken cancellation)
        {
            var format = plan.Format == DiskFormat.Raw ? DiskFormat.Raw : DiskFormat.Qcow2;
            long total = plan.Rofs.TotalBytes;
            long written = 0;
            string last = "/";
            using (var loader = DiskReader.Open(plan.LoaderPath))
            // Unbuffered: the cluster writer already hands over 1 MiB runs.
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1))
            {
                var writer = OsvDiskLayout.CreateWriter(file, format);
                OsvDiskLayout.Compose(loader, plan.LoaderPath, plan.CommandLine, plan.Rofs.TotalBytes,
                    sink => plan.Rofs.Write(sink, cancellation, progress == null ? null : (Action<long, string>)((n, guest) =>
                    {
                        written += n;
                        last = guest;
                        progress.Report(new BuildProgress(written, total, guest));
                    })),
                    writer, cancellation);
                // The file system's own blocks (inodes, folders, links) count in the total too: it is all written now.
                progress?.Report(new BuildProgress(total, total, last));
                writer.Complete();
                file.Flush(true);
            }
        }

        private static void Convert(string source, string target, DiskFormat format, CancellationToken cancellation)
        {
            string qemuImg = ToolLocator.Find("qemu-img");
            var result = ProcessRunner.Run(qemuImg, new[] { "convert", "-f", "qcow2", "-O", format.ToString().ToLowerInvariant(), source, target }, cancellation);
            if (result.ExitCode != 0)
            {
                throw new OsvException(ErrorIds.ImageConversionFailed, OsvErrorKind.InvalidResult,
                    $"qemu-img could not convert the image to {format}: {result.Error.Trim()}", target);
            }
        }

        /// <summary>One build of an image at a time; a second one fails at once with a clear error.</summary>
        private static IDisposable AcquireLock(string folder, string name)
        {
            string path = Path.Combine(folder, ".build.lock");
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException e)
            {
                throw new OsvException(ErrorIds.ImageLocked, OsvErrorKind.ResourceUnavailable,
                    $"image '{name}' is being built by another process; try again when it has finished.", name, e);
            }
        }

        private static string Fingerprint(DiskFormat format, string commandLine, string loaderPath, ImageTree tree)
        {
            using (var sha = SHA256.Create())
            {
                var sb = new StringBuilder();
                var loader = new FileInfo(loaderPath);
                sb.Append("osvps-image-v2\n").Append(format).Append('\n').Append(commandLine).Append('\0')
                  .Append(loaderPath).Append(':').Append(loader.Length).Append(':').Append(loader.LastWriteTimeUtc.Ticks).Append('\n');
                foreach (var node in tree.Walk())
                {
                    sb.Append(node.Key).Append('\0');
                    switch (node.Value)
                    {
                        case TreeDirectory _:
                            sb.Append("d\n");
                            break;
                        case TreeSymlink link:
                            sb.Append("l:").Append(link.Target).Append('\n');
                            break;
                        case TreeFile file:
                            sb.Append("f:").Append(file.Source.Fingerprint).Append('\n');
                            break;
                    }
                }
                byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(sb.ToString()));
                return BitConverter.ToString(hash).Replace("-", "").ToLowerInvariant();
            }
        }
    }
}
