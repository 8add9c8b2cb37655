using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Debian
{
    /// <summary>Which dependencies of a named package are carried with it.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum DebianDependencyScope
    {
        /// <summary>
        /// What the programs need at run time: the dependencies in the section of the package that needs them or of the package
        /// named, and library and data packages (sections libs, oldlibs, localization), but not the base system (<c>Essential: yes</c>)
        /// nor the packages the OSv kernel stands in for (those that install a library it supplies: libc6, libstdc++6, ...).
        /// </summary>
        RunTime,
        /// <summary>Dependencies in the same Debian section as the package that needs them (python, httpd, database, ...).</summary>
        Section,
        /// <summary>Every dependency but the base system (<c>Essential: yes</c> packages).</summary>
        All,
        /// <summary>Only the packages named.</summary>
        None,
    }

    /// <summary>A package to carry, and the package whose dependency brought it (null for one the user named).</summary>
    internal sealed class DebianSelection
    {
        internal DebianSelection(DpkgPackage package, DpkgPackage? neededBy, DpkgPackage? named = null)
        {
            Package = package;
            NeededBy = neededBy;
            Named = named ?? package;
        }

        public DpkgPackage Package { get; }
        public DpkgPackage? NeededBy { get; }
        /// <summary>The package the user named whose dependencies brought this one (itself for a named one).</summary>
        public DpkgPackage Named { get; }
    }

    /// <summary>
    /// dpkg's database of a root file system, read in process (no dpkg or apt run): the status file, each
    /// package's file list, and which package owns a path. File lists are read once, when first needed.
    /// </summary>
    public sealed class DpkgDatabase
    {
        public const string StatusPath = "/var/lib/dpkg/status";
        public const string InfoFolder = "/var/lib/dpkg/info";
        /// <summary>OSv runs x86-64 programs only, so that is the architecture picked among a package's stanzas.</summary>
        public const string NativeArchitecture = "amd64";

        private readonly Dictionary<string, List<DpkgPackage>> byName = new Dictionary<string, List<DpkgPackage>>(StringComparer.Ordinal);
        private readonly Dictionary<string, List<DpkgPackage>> providers = new Dictionary<string, List<DpkgPackage>>(StringComparer.Ordinal);
        private readonly Dictionary<DpkgPackage, IReadOnlyList<string>> lists = new Dictionary<DpkgPackage, IReadOnlyList<string>>();
        private Dictionary<string, DpkgPackage>? owners;

        private DpkgDatabase(Sysroot root, List<DpkgPackage> packages)
        {
            Root = root;
            Packages = packages;
            foreach (var package in packages)
            {
                Add(byName, package.Name, package);
                if (package.IsInstalled)
                {
                    foreach (var provided in package.Provides)
                    {
                        Add(providers, provided.Name, package);
                    }
                }
            }
        }

        public Sysroot Root { get; }
        /// <summary>Every stanza of the status file, installed or not.</summary>
        public IReadOnlyList<DpkgPackage> Packages { get; }

        public static DpkgDatabase Open(Sysroot root)
        {
            string status = root.Host(StatusPath);
            if (!File.Exists(status))
            {
                throw new OsvException(ErrorIds.DpkgDatabaseNotFound, OsvErrorKind.ObjectNotFound,
                    $"there is no dpkg database at '{status}'{(root.Root == "/" ? "" : " (under -Root " + root.Root + ")")}; this works on Debian and its derivatives.", status);
            }
            return new DpkgDatabase(root, DpkgStatusFile.Read(status));
        }

        /// <summary>The installed package <paramref name="name"/> (<c>name</c> or <c>name:arch</c>).</summary>
        public DpkgPackage Find(string name)
        {
            int colon = name.IndexOf(':');
            string bare = colon < 0 ? name : name.Substring(0, colon);
            string? arch = colon < 0 ? null : name.Substring(colon + 1);
            var stanzas = byName.TryGetValue(bare, out var found) ? found.Where(p => arch == null || p.Architecture == arch).ToList() : new List<DpkgPackage>();
            if (stanzas.Count == 0)
            {
                string hint = providers.TryGetValue(bare, out var by) ? $"; it is a virtual package provided by {string.Join(", ", by.Select(p => p.Name))}" : "; install it with apt-get";
                throw new OsvException(ErrorIds.DebianPackageNotFound, OsvErrorKind.ObjectNotFound,
                    $"dpkg knows no package '{name}' ({Root.Host(StatusPath)}){hint}.", name);
            }
            var installed = stanzas.Where(p => p.IsInstalled).ToList();
            if (installed.Count == 0)
            {
                throw new OsvException(ErrorIds.DebianPackageNotInstalled, OsvErrorKind.NotInstalled,
                    $"package '{name}' is not installed (dpkg's state: {stanzas[0].State}); its files are not on the disk.", name);
            }
            return Preferred(installed);
        }

        // The native architecture first, then 'all', then the first stanza.
        private static DpkgPackage Preferred(List<DpkgPackage> installed)
            => installed.FirstOrDefault(p => p.Architecture == NativeArchitecture) ?? installed.FirstOrDefault(p => p.Architecture == "all") ?? installed[0];

        /// <summary>The paths the package installed (folders included), as its file list holds them.</summary>
        public IReadOnlyList<string> Files(DpkgPackage package)
        {
            if (!lists.TryGetValue(package, out var files))
            {
                string? list = new[] { $"{package.Name}:{package.Architecture}.list", $"{package.Name}.list" }
                    .Select(n => Root.Host(InfoFolder + "/" + n)).FirstOrDefault(File.Exists);
                files = list == null ? new string[0] : (IReadOnlyList<string>)DpkgFileList.Read(list);
                lists[package] = files;
            }
            return files;
        }

        /// <summary>
        /// The installed package that owns <paramref name="path"/> (a path of the root): the file as named, or
        /// failing that the file its links lead to, compared with every list's paths after their folders are
        /// resolved (so /lib/x/libz.so.1 and /usr/lib/x/libz.so.1 are one file on a merged /usr). Null when none.
        /// </summary>
        public DpkgPackage? Owner(string path) => Owners(path).FirstOrDefault();

        /// <summary>Every owner of <paramref name="path"/>: the package of the name and the package of the file it leads to.</summary>
        public IReadOnlyList<DpkgPackage> Owners(string path)
        {
            var index = OwnerIndex();
            var found = new List<DpkgPackage>();
            foreach (string? candidate in new[] { Root.Locate(path), Root.Resolve(path) })
            {
                if (candidate != null && index.TryGetValue(candidate, out var owner) && !found.Contains(owner))
                {
                    found.Add(owner);
                }
            }
            return found;
        }

        private Dictionary<string, DpkgPackage> OwnerIndex()
        {
            if (owners == null)
            {
                owners = new Dictionary<string, DpkgPackage>(StringComparer.Ordinal);
                foreach (var package in Packages.Where(p => p.IsInstalled))
                {
                    IReadOnlyList<string> files;
                    try
                    {
                        files = Files(package);
                    }
                    catch (OsvException)
                    {
                        // A broken list of another package must not stop the lookup; its own carrying reports it.
                        continue;
                    }
                    foreach (string file in files)
                    {
                        string? located = Root.Locate(file);
                        if (located != null && !owners.ContainsKey(located))
                        {
                            owners[located] = package;
                        }
                    }
                }
            }
            return owners;
        }

        /// <summary>Sections of packages that hold libraries, the modules and data they load, and data programs read (time zones).</summary>
        private static readonly HashSet<string> RunTimeSections = new HashSet<string>(StringComparer.Ordinal) { "libs", "oldlibs", "localization" };

        /// <summary>
        /// The named packages and the dependencies <paramref name="scope"/> selects, breadth first, each once.
        /// A group of alternatives is satisfied by its first installed package or provider; one that nothing
        /// installed satisfies is left out (dpkg would not have configured the package, or it is optional).
        /// <paramref name="standsIn"/> says which packages the kernel stands in for (left out under <see cref="DebianDependencyScope.RunTime"/>).
        /// </summary>
        internal List<DebianSelection> Closure(IEnumerable<DpkgPackage> named, DebianDependencyScope scope, Func<DpkgPackage, bool>? standsIn = null)
        {
            var selected = new List<DebianSelection>();
            var seen = new HashSet<DpkgPackage>();
            var queue = new Queue<DebianSelection>();
            foreach (var package in named)
            {
                if (seen.Add(package))
                {
                    queue.Enqueue(new DebianSelection(package, null));
                }
            }
            while (queue.Count > 0)
            {
                var item = queue.Dequeue();
                selected.Add(item);
                if (scope == DebianDependencyScope.None)
                {
                    continue;
                }
                foreach (var group in item.Package.Depends)
                {
                    var pick = group.Select(Satisfier).FirstOrDefault(p => p != null);
                    if (pick == null || pick.Essential || seen.Contains(pick) || !InScope(pick, item, scope, standsIn))
                    {
                        continue;
                    }
                    seen.Add(pick);
                    queue.Enqueue(new DebianSelection(pick, item.Package, item.Named));
                }
            }
            return selected;
        }

        private static bool InScope(DpkgPackage pick, DebianSelection neededBy, DebianDependencyScope scope, Func<DpkgPackage, bool>? standsIn)
        {
            bool sameSection = pick.Section.Length > 0 && pick.Section == neededBy.Package.Section;
            switch (scope)
            {
                case DebianDependencyScope.Section:
                    return sameSection;
                case DebianDependencyScope.RunTime:
                    return (sameSection || (pick.Section.Length > 0 && pick.Section == neededBy.Named.Section) || RunTimeSections.Contains(pick.Section))
                        && !(standsIn?.Invoke(pick) ?? false);
                default:
                    return true;
            }
        }

        private DpkgPackage? Satisfier(DebianRelation relation)
        {
            if (byName.TryGetValue(relation.Name, out var real))
            {
                var installed = real.Where(p => p.IsInstalled).ToList();
                if (installed.Count > 0)
                {
                    return Preferred(installed);
                }
            }
            return providers.TryGetValue(relation.Name, out var by) ? by[0] : null;
        }

        private static void Add(Dictionary<string, List<DpkgPackage>> map, string key, DpkgPackage package)
        {
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = new List<DpkgPackage>();
            }
            list.Add(package);
        }
    }
}
