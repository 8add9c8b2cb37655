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

namespace OsvPS.Core.Building
{
    /// <summary>
    /// Builds a package (<c>packages/&lt;name&gt;.mpm</c>, a gzip-compressed tar of the project with its
    /// <c>meta/</c>, minus what .capstanignore names) and the copy of its package.yaml beside it.
    /// </summary>
    public static class PackageBuilder
    {
        public static string ArchivePath(CapstanRepository repository, OsvProject project) => repository.PackageFile(project.Name, ".mpm");

        public static OsvPackage Build(CapstanRepository repository, OsvProject project)
        {
            if (project.Package == null)
            {
                throw new OsvException(ErrorIds.PackageYamlInvalid, OsvErrorKind.InvalidData,
                    $"'{project.Path}' has no meta/package.yaml; a package needs name, title and author (New-OsvProject writes them).", project.Path);
            }
            Directory.CreateDirectory(repository.PackagesPath);
            string archive = ArchivePath(repository, project);
            // Everything a project holds except the fixed exclusions; meta/ travels with a package.
            var rules = new IgnoreRules(ReadIgnoreFile(project.Path), IgnoreRules.AlwaysIgnored.Where(p => p != "/meta"));
            repository.WriteFile(archive, file =>
            {
                using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
                {
                    var tar = new TarWriter(gzip);
                    Walk(project.Path, "", rules, tar);
                    tar.Finish();
                }
            });
            repository.DeleteFile(Repository.LocalPackages.ShaFile(archive));
            repository.WriteText(repository.PackageFile(project.Name, ".yaml"), PackageYaml.Serialize(project.Package));
            return Repository.LocalPackages.List(repository).First(p => p.Name == project.Name);
        }

        private static IEnumerable<string> ReadIgnoreFile(string projectPath)
        {
            string file = Path.Combine(projectPath, IgnoreRules.FileName);
            return File.Exists(file) ? File.ReadAllLines(file) : new string[0];
        }

        private static void Walk(string root, string relative, IgnoreRules rules, TarWriter tar)
        {
            var dir = new DirectoryInfo(Path.Combine(root, relative));
            foreach (var child in dir.GetFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                string rel = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
                if (rules.Matches("/" + rel) || AtomicFile.IsTemporaryName(child.Name))
                {
                    continue;
                }
                if (SymbolicLink.IsLink(child))
                {
                    tar.AddSymlink(rel, SymbolicLink.ReadTarget(child.FullName), child.LastWriteTimeUtc);
                }
                else if (child is DirectoryInfo)
                {
                    tar.AddDirectory(rel, child.LastWriteTimeUtc);
                    Walk(root, rel, rules, tar);
                }
                else if (child is FileInfo file)
                {
                    var identity = UnixFile.Stat(file.FullName, noFollow: true);
                    if (identity != null && identity.Type != UnixFileType.Regular)
                    {
                        continue; // FIFOs, sockets and devices: not package content, and a FIFO would block
                    }
                    using (var content = UnixFile.OpenPlanned(file.FullName, identity))
                    {
                        tar.AddFile(rel, content, file.Length, file.LastWriteTimeUtc);
                    }
                }
            }
        }
    }
}
