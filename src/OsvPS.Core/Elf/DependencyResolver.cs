using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Elf
{
    /// <summary>How a library was found, in the glibc loader's words.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum ResolvedVia
    {
        /// <summary>DT_NEEDED held a path (it contains a '/').</summary>
        Path,
        RPath,
        LdLibraryPath,
        RunPath,
        Cache,
        DefaultPath,
        /// <summary>A library the OSv kernel (or osv.bootstrap) provides: not copied.</summary>
        Provided,
        Missing,
    }

    /// <summary>One library of a dependency tree.</summary>
    public sealed class ResolvedLibrary
    {
        internal ResolvedLibrary(string name, string? path, ResolvedVia via, string? searchedIn, ElfFile? elf, ResolvedLibrary? loader)
        {
            Name = name;
            Path = path;
            Via = via;
            SearchedIn = searchedIn;
            Elf = elf;
            Loader = loader;
        }

        /// <summary>The DT_NEEDED name (the guest name).</summary>
        public string Name { get; }
        /// <summary>Where it is on the host; null when missing (or provided and not looked up).</summary>
        public string? Path { get; }
        public ResolvedVia Via { get; }
        /// <summary>The folder or cache it was found in.</summary>
        public string? SearchedIn { get; }
        public ElfFile? Elf { get; }
        /// <summary>The object that first needed it (the loader's <c>l_loader</c>); null for the input itself.</summary>
        public ResolvedLibrary? Loader { get; }
        /// <summary>Every object (host path) that needs it.</summary>
        public List<string> RequiredBy { get; } = new List<string>();
        /// <summary>
        /// The path the glibc loader opens it by, on the root being resolved (e.g. <c>/lib/x86_64-linux-gnu/libc.so.6</c>,
        /// its links not followed); null when missing or provided.
        /// </summary>
        public string? LoaderPath { get; internal set; }
    }

    /// <summary>An input and everything it loads, in the loader's breadth-first order.</summary>
    public sealed class DependencyTree
    {
        internal DependencyTree(ElfFile root, IReadOnlyList<ResolvedLibrary> libraries)
        {
            Root = root;
            Libraries = libraries;
        }

        public ElfFile Root { get; }
        public IReadOnlyList<ResolvedLibrary> Libraries { get; }
        public IEnumerable<ResolvedLibrary> Missing => Libraries.Where(l => l.Via == ResolvedVia.Missing);
        /// <summary>The libraries that go into an image: found and not provided.</summary>
        public IEnumerable<ResolvedLibrary> ToCopy => Libraries.Where(l => l.Path != null && l.Via != ResolvedVia.Provided);
    }

    public sealed class ResolverOptions
    {
        /// <summary>The root file system ("/" for the host, or a sysroot).</summary>
        public string Root { get; set; } = "/";
        /// <summary>Searched like LD_LIBRARY_PATH (only when given).</summary>
        public IReadOnlyList<string> LibraryPath { get; set; } = new string[0];
        /// <summary>Names (sonames or their stem before ".so") not to copy or descend into.</summary>
        public IReadOnlyCollection<string> Provided { get; set; } = DependencyResolver.OsvProvided;
        /// <summary>Copy and descend into provided libraries too.</summary>
        public bool IncludeProvided { get; set; }
    }

    /// <summary>
    /// Resolves DT_NEEDED the way the glibc loader does: RPATH of the object and its loaders (when it has
    /// no RUNPATH), LD_LIBRARY_PATH when asked, RUNPATH, ld.so.cache, the default folders; $ORIGIN,
    /// $LIB and $PLATFORM expanded; candidates of another class or machine skipped. Thread-safe, memoised.
    /// </summary>
    public sealed class DependencyResolver
    {
        /// <summary>
        /// The sonames the OSv kernel answers itself (core/elf.cc, <c>supplied_modules</c>; libstdc++ only on
        /// kernels built without hidden symbols), and libgcc_s, which osv.bootstrap brings. Nothing else:
        /// OSv's manifest_from_host.sh also skips libselinux, but the kernel does not supply it.
        /// </summary>
        public static readonly IReadOnlyCollection<string> OsvProvided = new[]
        {
            "ld-linux-x86-64.so.2", "libresolv.so.2", "libc.so.6", "libm.so.6", "libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1",
            "libpthread.so.0", "libdl.so.2", "librt.so.1", "libstdc++.so.6", "libaio.so.1", "libxenstore.so.3.0",
            "libcrypt.so.1", "libutil.so", "libgcc_s.so.1",
        };

        private static readonly string[] DefaultFolders = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib" };
        private const string LibExpansion = "lib/x86_64-linux-gnu";
        private const string PlatformExpansion = "x86_64";

        private readonly ResolverOptions options;
        private readonly LdCache cache;
        private readonly HashSet<string> provided;
        private readonly ConcurrentDictionary<string, Lazy<(ElfFile? File, OsvException? Error)>> elves = new ConcurrentDictionary<string, Lazy<(ElfFile?, OsvException?)>>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, string?> candidates = new ConcurrentDictionary<string, string?>(StringComparer.Ordinal);

        public DependencyResolver(ResolverOptions? options = null)
        {
            this.options = options ?? new ResolverOptions();
            cache = LdCache.Load(this.options.Root);
            provided = new HashSet<string>(this.options.Provided, StringComparer.Ordinal);
        }

        internal LdCache Cache => cache;

        /// <summary>The root file system libraries are resolved on ("/" for the host).</summary>
        public string Root => options.Root;

        /// <summary>True when <paramref name="name"/> is one OSv provides (by soname or its stem).</summary>
        public bool IsProvided(string name)
        {
            if (provided.Contains(name))
            {
                return true;
            }
            int so = name.IndexOf(".so", StringComparison.Ordinal);
            return so > 0 && provided.Contains(name.Substring(0, so));
        }

        /// <summary>Reads (once) the ELF file at <paramref name="path"/>.</summary>
        public ElfFile Read(string path)
        {
            var result = elves.GetOrAdd(path, p => new Lazy<(ElfFile?, OsvException?)>(() =>
            {
                try
                {
                    return (ElfFile.Read(p), null);
                }
                catch (OsvException e)
                {
                    return (null, e);
                }
            })).Value;
            return result.File ?? throw result.Error!;
        }

        private sealed class Node
        {
            public Node(ResolvedLibrary? library, ElfFile elf, string path, string origin)
            {
                Library = library;
                Elf = elf;
                Path = path;
                Origin = origin;
            }

            public ResolvedLibrary? Library;
            public ElfFile Elf;
            public string Path;
            public string Origin;
            public Node? LoaderNode;
        }

        /// <summary>Resolves the whole tree of <paramref name="path"/>.</summary>
        public DependencyTree Resolve(string path)
        {
            string full = System.IO.Path.GetFullPath(path);
            var rootElf = Read(full);
            string real = RealPath(full);
            var main = new Node(null, rootElf, full, System.IO.Path.GetDirectoryName(real) ?? "/");
            var libraries = new List<ResolvedLibrary>();
            var byName = new Dictionary<string, ResolvedLibrary>(StringComparer.Ordinal);
            var byFile = new Dictionary<string, ResolvedLibrary>(StringComparer.Ordinal);
            var nodes = new Dictionary<ResolvedLibrary, Node>();
            var queue = new Queue<Node>();
            queue.Enqueue(main);
            if (rootElf.Soname != null)
            {
                byName[rootElf.Soname] = new ResolvedLibrary(rootElf.Soname, full, ResolvedVia.Path, null, rootElf, null);
            }
            byFile[real] = new ResolvedLibrary(System.IO.Path.GetFileName(full), full, ResolvedVia.Path, null, rootElf, null);
            while (queue.Count > 0)
            {
                var node = queue.Dequeue();
                foreach (string name in node.Elf.Needed)
                {
                    if (byName.TryGetValue(name, out var known))
                    {
                        if (!known.RequiredBy.Contains(node.Path))
                        {
                            known.RequiredBy.Add(node.Path);
                        }
                        continue;
                    }
                    ResolvedLibrary library;
                    if (!options.IncludeProvided && IsProvided(name))
                    {
                        library = new ResolvedLibrary(name, null, ResolvedVia.Provided, null, null, node.Library);
                    }
                    else
                    {
                        var (found, via, where, candidate) = Search(name, node, main);
                        if (found == null)
                        {
                            library = new ResolvedLibrary(name, null, ResolvedVia.Missing, null, null, node.Library);
                        }
                        else
                        {
                            string realFound = RealPath(found);
                            if (byFile.TryGetValue(realFound, out var same))
                            {
                                // The same file under another name: the loader maps it once.
                                byName[name] = same;
                                if (!same.RequiredBy.Contains(node.Path))
                                {
                                    same.RequiredBy.Add(node.Path);
                                }
                                continue;
                            }
                            var elf = Read(found);
                            library = new ResolvedLibrary(name, found, via, where, elf, node.Library)
                            {
                                LoaderPath = SysrootPaths.Unrooted(System.IO.Path.GetFullPath(candidate!), options.Root),
                            };
                            byFile[realFound] = library;
                            var child = new Node(library, elf, found, System.IO.Path.GetDirectoryName(found) ?? "/") { LoaderNode = node };
                            nodes[library] = child;
                            queue.Enqueue(child);
                            if (elf.Soname != null && !byName.ContainsKey(elf.Soname))
                            {
                                byName[elf.Soname] = library;
                            }
                        }
                    }
                    library.RequiredBy.Add(node.Path);
                    byName[name] = library;
                    libraries.Add(library);
                }
            }
            return new DependencyTree(rootElf, libraries);
        }

        /// <summary>
        /// Resolves many inputs on all cores, sharing the memo; results come back in input order, a failure as
        /// that input's error.
        /// </summary>
        public IReadOnlyList<ItemResult<DependencyTree>> ResolveMany(IReadOnlyList<string> paths, System.Threading.CancellationToken cancellation)
            => ItemResults.InParallel(paths, path => path, Resolve, cancellation);

        private (string? Path, ResolvedVia Via, string? Where, string? Candidate) Search(string name, Node loader, Node main)
        {
            if (name.IndexOf('/') >= 0)
            {
                string direct = name.StartsWith("/", StringComparison.Ordinal) ? LdCache.Rooted(options.Root, name) : System.IO.Path.GetFullPath(name);
                string? accepted = Accept(direct);
                return accepted != null ? (accepted, ResolvedVia.Path, null, direct) : (null, ResolvedVia.Missing, null, null);
            }
            if (!loader.Elf.HasRunPath)
            {
                bool didMain = false;
                for (var l = loader; l != null; l = l.LoaderNode)
                {
                    if (!l.Elf.HasRunPath && l.Elf.RPath.Count > 0)
                    {
                        var hit = SearchFolders(name, Expand(l.Elf.RPath, l));
                        if (hit.Path != null)
                        {
                            return (hit.Path, ResolvedVia.RPath, hit.Folder, System.IO.Path.Combine(hit.Folder!, name));
                        }
                    }
                    didMain |= l == main;
                }
                if (!didMain && !main.Elf.HasRunPath && main.Elf.RPath.Count > 0)
                {
                    var hit = SearchFolders(name, Expand(main.Elf.RPath, main));
                    if (hit.Path != null)
                    {
                        return (hit.Path, ResolvedVia.RPath, hit.Folder, System.IO.Path.Combine(hit.Folder!, name));
                    }
                }
            }
            if (options.LibraryPath.Count > 0)
            {
                var hit = SearchFolders(name, Expand(options.LibraryPath, main));
                if (hit.Path != null)
                {
                    return (hit.Path, ResolvedVia.LdLibraryPath, hit.Folder, System.IO.Path.Combine(hit.Folder!, name));
                }
            }
            if (loader.Elf.HasRunPath)
            {
                var hit = SearchFolders(name, Expand(loader.Elf.RunPath, loader));
                if (hit.Path != null)
                {
                    return (hit.Path, ResolvedVia.RunPath, hit.Folder, System.IO.Path.Combine(hit.Folder!, name));
                }
            }
            if (loader.Elf.NoDefaultLib)
            {
                return (null, ResolvedVia.Missing, null, null);
            }
            foreach (string cached in cache.Lookup(name))
            {
                string candidate = LdCache.Rooted(options.Root, cached);
                string? host = Accept(candidate);
                if (host != null)
                {
                    return (host, ResolvedVia.Cache, cache.Source, candidate);
                }
            }
            var fallback = SearchFolders(name, cache.Folders.Concat(DefaultFolders).Select(f => LdCache.Rooted(options.Root, f)));
            return fallback.Path != null
                ? (fallback.Path, ResolvedVia.DefaultPath, fallback.Folder, System.IO.Path.Combine(fallback.Folder!, name))
                : (null, ResolvedVia.Missing, null, null);
        }

        private (string? Path, string? Folder) SearchFolders(string name, IEnumerable<string> folders)
        {
            foreach (string folder in folders)
            {
                string? accepted = Accept(System.IO.Path.Combine(folder, name));
                if (accepted != null)
                {
                    return (accepted, folder);
                }
            }
            return (null, null);
        }

        // A candidate counts when it is an ELF of our class and machine; others are passed over, as the loader does.
        // Returns the file to read: the candidate itself on the host, its links resolved inside a sysroot.
        private string? Accept(string candidate)
        {
            return candidates.GetOrAdd(candidate, c =>
            {
                string resolved = options.Root == "/" ? c : ResolveUnderRoot(c);
                if (!File.Exists(resolved))
                {
                    return null;
                }
                try
                {
                    return Read(resolved).IsX8664 ? resolved : null;
                }
                catch (OsvException)
                {
                    return null;
                }
            });
        }

        private IEnumerable<string> Expand(IEnumerable<string> folders, Node owner)
        {
            foreach (string raw in folders)
            {
                string folder = raw.Replace("${ORIGIN}", "$ORIGIN").Replace("${LIB}", "$LIB").Replace("${PLATFORM}", "$PLATFORM")
                    .Replace("$LIB", LibExpansion).Replace("$PLATFORM", PlatformExpansion);
                if (folder.Contains("$ORIGIN"))
                {
                    yield return System.IO.Path.GetFullPath(folder.Replace("$ORIGIN", owner.Origin));
                }
                else if (folder.StartsWith("/", StringComparison.Ordinal))
                {
                    yield return LdCache.Rooted(options.Root, folder);
                }
                else
                {
                    yield return System.IO.Path.GetFullPath(folder);
                }
            }
        }

        private readonly ConcurrentDictionary<string, string> realPaths = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        private string RealPath(string path) => realPaths.GetOrAdd(path, p => options.Root == "/" ? HostRealPath(p) : ResolveUnderRoot(p));

        private static string HostRealPath(string path) => SysrootPaths.Resolve(path, "/");

        // Follows symlinks component by component; absolute targets are taken relative to the sysroot.
        private string ResolveUnderRoot(string path) => SysrootPaths.Resolve(path, options.Root);
    }
}
