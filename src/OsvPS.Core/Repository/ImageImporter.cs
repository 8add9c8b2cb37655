using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Repository
{
    /// <summary>Copies an image file into the repository under a name, with its index.yaml.</summary>
    public sealed class ImageImporter
    {
        private readonly CapstanRepository repository;

        public ImageImporter(CapstanRepository repository) => this.repository = repository;

        public sealed class ImportPlan
        {
            internal ImportPlan(string source, string name, DiskFormat format, string targetPath)
            {
                Source = source;
                Name = name;
                Format = format;
                TargetPath = targetPath;
            }

            public string Source { get; }
            public string Name { get; }
            public DiskFormat Format { get; }
            public string TargetPath { get; }
        }

        public ImportPlan Plan(string source, string name, bool force)
        {
            CapstanRepository.ValidateImageName(name);
            IO.UnixFile.RequireRegular(source, ErrorIds.ImageFileNotFound, ErrorIds.ImageFileNotFound);
            var format = DiskFormats.Detect(source);
            if (format == DiskFormat.Qcow2)
            {
                // Refuses images that need a backing file, are encrypted or damaged.
                using (new Qcow2Reader(source))
                {
                }
            }
            if (!force && repository.FindImageFile(name) != null)
            {
                throw new OsvException(ErrorIds.ImageExists, OsvErrorKind.ResourceExists,
                    $"the repository already has an image '{name}'; use -Force to replace it.", name);
            }
            return new ImportPlan(Path.GetFullPath(source), name, format, repository.ImageFile(name, format));
        }

        /// <summary>
        /// Attaches a kernel ELF (plain or gzip-compressed) to image <paramref name="name"/>, so instances of it,
        /// and of images built from it, can boot straight into the kernel. Returns the stored ELF's path.
        /// </summary>
        /// <summary>No OSv kernel is near this size; a .gz that unpacks past it is refused.</summary>
        public const long MaxKernelBytes = 256L << 20;

        public string AttachKernel(string name, string kernelPath, CancellationToken cancellation)
        {
            if (repository.FindImageFile(name) == null)
            {
                throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound, $"there is no image '{name}' to attach a kernel to.", name);
            }
            IO.UnixFile.RequireRegular(kernelPath, ErrorIds.KernelNotFound, ErrorIds.KernelNotFound);
            string target = Path.Combine(repository.ImageFolder(name), CapstanRepository.BaseName(name) + ".elf");
            using var folder = repository.Writer();
            folder.WriteFile(target, output =>
            {
                using (var input = File.OpenRead(kernelPath))
                {
                    Gzip.Unpack(input, output, MaxKernelBytes, kernelPath, ErrorIds.KernelInvalid);
                }
                cancellation.ThrowIfCancellationRequested();
                output.Seek(0, SeekOrigin.Begin);
                var head = new byte[4];
                if (output.Read(head, 0, 4) != 4 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F')
                {
                    throw new OsvException(ErrorIds.KernelInvalid, OsvErrorKind.InvalidData, $"'{kernelPath}' is not an ELF file (nor a gzip-compressed one).", kernelPath);
                }
                output.Seek(0, SeekOrigin.End);
            });
            return target;
        }

        public OsvImage Import(ImportPlan plan, string? description, string? version, CancellationToken cancellation)
        {
            using var folder = repository.Writer();
            folder.WriteFile(plan.TargetPath, output =>
            {
                using (var input = File.OpenRead(plan.Source))
                {
                    var buffer = new byte[1 << 20];
                    int n;
                    while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        output.Write(buffer, 0, n);
                    }
                }
            });
            foreach (DiskFormat other in Enum.GetValues(typeof(DiskFormat)))
            {
                string otherPath = repository.ImageFile(plan.Name, other);
                if (otherPath != plan.TargetPath)
                {
                    folder.Delete(otherPath);
                }
            }
            folder.Delete(Path.Combine(repository.ImageFolder(plan.Name), CapstanRepository.BaseName(plan.Name) + ".osvps-build"));
            repository.WriteIndex(plan.Name, new ImageIndex
            {
                Version = version,
                // When the image file was made (a release's build time), not when it was imported.
                Created = DateTime.SpecifyKind(File.GetLastWriteTimeUtc(plan.Source), DateTimeKind.Utc),
                Description = description,
                Platform = null, // where an imported image was built is not known
            });
            return repository.GetImage(plan.Name);
        }
    }
}
