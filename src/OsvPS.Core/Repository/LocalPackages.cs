using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Repository
{
    /// <summary>The packages of a repository's <c>packages/</c> folder: listed, and checked against their recorded hash.</summary>
    public static class LocalPackages
    {
        /// <summary>The package a <c>.mpm</c> (or <c>.mpm.x86_64</c>) file name is of.</summary>
        public static string PackageName(string asset) => asset.Substring(0, asset.IndexOf(".mpm", StringComparison.Ordinal));

        /// <summary>The file beside a downloaded package that holds its SHA-256.</summary>
        public static string ShaFile(string archive) => Path.Combine(Path.GetDirectoryName(archive)!, "." + Path.GetFileName(archive) + ".sha256");

        /// <summary>
        /// The packages in <c>packages/</c>, by name. A <c>&lt;name&gt;.yaml</c> there that is not a package
        /// description (malformed YAML, or without name, title or author) is reported to
        /// <paramref name="warn"/> with the file and the problem, and the rest is listed.
        /// </summary>
        public static IReadOnlyList<OsvPackage> List(CapstanRepository repository, Action<string>? warn = null)
        {
            if (!Directory.Exists(repository.PackagesPath))
            {
                return new OsvPackage[0];
            }
            var manifests = new Dictionary<string, PackageManifest>(StringComparer.Ordinal);
            foreach (string yaml in Directory.GetFiles(repository.PackagesPath, "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
            {
                try
                {
                    manifests[Path.GetFileNameWithoutExtension(yaml)] = PackageYaml.Parse(ProjectStore.ReadText(yaml), yaml);
                }
                catch (Exception e) when (e is OsvException || e is IOException || e is UnauthorizedAccessException)
                {
                    warn?.Invoke($"'{yaml}' is not a package description and is left out: {e.Message}");
                }
            }
            var result = new List<OsvPackage>();
            foreach (string file in Directory.GetFiles(repository.PackagesPath).Where(f => f.EndsWith(".mpm", StringComparison.Ordinal) || f.EndsWith(".mpm.x86_64", StringComparison.Ordinal)))
            {
                string name = PackageName(Path.GetFileName(file));
                manifests.TryGetValue(name, out var manifest);
                var info = new FileInfo(file);
                result.Add(new OsvPackage(manifest?.Name ?? name, manifest?.Title, manifest?.Version, manifest?.Author,
                    manifest?.Require.ToArray() ?? new string[0], file, info.Length, CreatedTime(manifest?.Created), null, null));
            }
            return result.GroupBy(p => p.Name).Select(g => g.First()).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        }

        /// <summary>
        /// A <c>created</c> value as a UTC time (a time without a zone is taken as UTC, as images' are);
        /// null when there is none or it is not a time: a file's own time is no creation date.
        /// </summary>
        public static DateTime? CreatedTime(string? created)
            => !string.IsNullOrWhiteSpace(created) && DateTime.TryParse(created, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when) ? when : (DateTime?)null;

        /// <summary>Checks a downloaded package against the hash recorded when it was saved.</summary>
        public static void Verify(string archive)
        {
            string sha = ShaFile(archive);
            if (File.Exists(sha) && File.ReadAllText(sha).Trim() != FileHash.Sha256(archive))
            {
                throw new OsvException(ErrorIds.PackageCorrupt, OsvErrorKind.InvalidData,
                    $"'{archive}' no longer matches the SHA-256 recorded when it was downloaded; fetch it again with Save-OsvPackage -Force.", archive);
            }
        }
    }
}
