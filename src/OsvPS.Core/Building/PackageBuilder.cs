using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;
using OsvPS.Core.Packaging;
using OsvPS.Core.Projects;

namespace OsvPS.Core.Building
{
    /// <summary>
    /// Builds a package (<c>packages/&lt;name&gt;.mpm</c>, a gzip-compressed tar of the project with its
    /// <c>meta/</c>, minus what .capstanignore names) and the copy of its package.yaml beside it. The project is
    /// read by <see cref="ProjectTree"/>, with the rules an image build reads it by.
    /// </summary>
    public static class PackageBuilder
    {
        public static string ArchivePath(CapstanRepository repository, OsvProject project) => repository.PackageFile(project.Name, ".mpm");

        /// <param name="keepExternalSymlinks">Keep links that point outside the project as written instead of refusing them.</param>
        public static OsvPackage Build(CapstanRepository repository, OsvProject project, bool keepExternalSymlinks = false)
        {
            if (project.Package == null)
            {
                throw new OsvException(ErrorIds.PackageYamlInvalid, OsvErrorKind.InvalidData,
                    $"'{project.Path}' has no meta/package.yaml; a package needs name, title and author (New-OsvProject writes them).", project.Path);
            }
            Directory.CreateDirectory(repository.PackagesPath);
            string archive = ArchivePath(repository, project);
            // Everything a project holds except the fixed exclusions; meta/ travels with a package.
            var rules = IgnoreRules.ForProject(project.Path, IgnoreRules.AlwaysIgnored.Where(p => p != "/meta"));
            repository.WriteFile(archive, file =>
            {
                using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
                {
                    var tar = new TarWriter(gzip);
                    Walk(project.Path, rules, keepExternalSymlinks, tar);
                    tar.Finish();
                }
            });
            repository.DeleteFile(Repository.LocalPackages.ShaFile(archive));
            repository.WriteText(repository.PackageFile(project.Name, ".yaml"), PackageYaml.Serialize(project.Package));
            return Repository.LocalPackages.List(repository).First(p => p.Name == project.Name);
        }

        private static void Walk(string root, IgnoreRules rules, bool keepExternalSymlinks, TarWriter tar)
        {
            foreach (var entry in ProjectTree.Walk(root, rules, keepExternalSymlinks))
            {
                switch (entry.Kind)
                {
                    case ProjectEntryKind.Folder:
                        tar.AddDirectory(entry.Relative, entry.ModifiedUtc);
                        break;
                    case ProjectEntryKind.Link:
                        tar.AddSymlink(entry.Relative, entry.LinkTarget!, entry.ModifiedUtc);
                        break;
                    default:
                        using (var content = UnixFile.OpenPlanned(entry.HostPath, entry.Status))
                        {
                            tar.AddFile(entry.Relative, content, entry.Size, entry.ModifiedUtc);
                        }
                        break;
                }
            }
        }
    }
}
