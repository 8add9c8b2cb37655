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
            if (!File.Exists(source))
            {
                throw new OsvException("ImageFileNotFound", OsvErrorKind.ObjectNotFound, $"'{source}' does not exist.", source);
            }
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
                throw new OsvException("ImageExists", OsvErrorKind.ResourceExists,
                    $"the repository already has an image '{name}'; use -Force to replace it.", name);
            }
            return new ImportPlan(Path.GetFullPath(source), name, format, repository.ImageFile(name, format));
        }

        public OsvImage Import(ImportPlan plan, string? description, string? version, CancellationToken cancellation)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(plan.TargetPath)!);
            AtomicFile.Write(plan.TargetPath, output =>
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
                    AtomicFile.TryDelete(otherPath);
                }
            }
            AtomicFile.TryDelete(Path.Combine(repository.ImageFolder(plan.Name), CapstanRepository.BaseName(plan.Name) + ".osvps-build"));
            repository.WriteIndex(plan.Name, new ImageIndex
            {
                Version = version,
                Created = DateTime.UtcNow,
                Description = description,
                Platform = "x86_64",
            });
            return repository.GetImage(plan.Name);
        }
    }
}
