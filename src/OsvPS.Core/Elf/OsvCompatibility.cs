using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Elf
{
    /// <summary>
    /// Whether OSv can run a program, decided before booting, as OSv's own loader decides it
    /// (core/elf.cc): every undefined, non-weak dynamic symbol of the program and of the libraries
    /// it would carry must be defined by one of them, by libgcc_s (osv.bootstrap brings it), or by
    /// the kernel's .dynsym. Symbol versions do not matter. Symbol tables are read once per file.
    /// </summary>
    public sealed class OsvCompatibility
    {
        /// <summary>A symbol only a libstdc++ built into the kernel defines: its absence means a kernel built with hidden symbols.</summary>
        private const string StdCxxProbe = "_ZNSt8ios_base4InitC1Ev";
        private const string StdCxx = "libstdc++.so.6";

        /// <summary>Calls that need a second process, which OSv (one address space, one program) does not give.</summary>
        private static readonly string[] ProcessCalls =
        {
            "fork", "vfork", "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve",
            "posix_spawn", "posix_spawnp", "system", "popen",
        };

        private readonly DependencyResolver resolver;
        private readonly DynamicSymbols kernel;
        private readonly DynamicSymbols libGcc;
        private readonly ConcurrentDictionary<string, Lazy<DynamicSymbols>> symbols = new ConcurrentDictionary<string, Lazy<DynamicSymbols>>(StringComparer.Ordinal);

        /// <param name="options">How libraries are found (a kernel built with hidden symbols adds libstdc++ to what is carried).</param>
        /// <param name="kernelPath">The kernel ELF (or .gz) whose .dynsym is what OSv supplies.</param>
        /// <param name="libGcc">libgcc_s's symbols (from osv.bootstrap), or null for none.</param>
        public OsvCompatibility(ResolverOptions options, string kernelPath, DynamicSymbols? libGcc)
        {
            KernelPath = kernelPath;
            kernel = ReadKernel(kernelPath);
            KernelHidesStdCxx = !kernel.Defines(StdCxxProbe);
            if (KernelHidesStdCxx)
            {
                options = new ResolverOptions
                {
                    Root = options.Root,
                    LibraryPath = options.LibraryPath,
                    IncludeProvided = options.IncludeProvided,
                    Provided = options.Provided.Where(p => p != StdCxx && p != "libstdc++").ToList(),
                };
            }
            resolver = new DependencyResolver(options);
            this.libGcc = libGcc ?? DynamicSymbols.Empty;
        }

        /// <summary>A check that shares <paramref name="resolver"/> (and so its memo) with the caller, e.g. Add-OsvBinary's.</summary>
        public OsvCompatibility(DependencyResolver resolver, string kernelPath, DynamicSymbols? libGcc)
        {
            KernelPath = kernelPath;
            kernel = ReadKernel(kernelPath);
            KernelHidesStdCxx = !kernel.Defines(StdCxxProbe);
            this.resolver = resolver;
            this.libGcc = libGcc ?? DynamicSymbols.Empty;
        }

        private static DynamicSymbols ReadKernel(string kernelPath)
        {
            var symbols = DynamicSymbols.Read(kernelPath);
            if (symbols.Defined.Count == 0)
            {
                throw new OsvException("KernelInvalid", OsvErrorKind.InvalidData,
                    $"'{kernelPath}' has no dynamic symbols: it is not an OSv kernel ELF (loader-stripped.elf, osv-loader.elf.x86_64.gz).", kernelPath);
            }
            return symbols;
        }

        public string KernelPath { get; }

        /// <summary>True for a kernel built with hidden symbols: it does not supply libstdc++, so images carry it.</summary>
        public bool KernelHidesStdCxx { get; }

        /// <summary>Checks one program or library.</summary>
        public OsvBinaryCompatibility Check(string path)
        {
            string full = Path.GetFullPath(path);
            IO.UnixFile.RequireRegular(full, "BinaryNotFound", "BinaryNotAFile");
            var elf = resolver.Read(full);
            var notes = new List<string>();
            if (!elf.IsX8664)
            {
                notes.Add($"it is a {(elf.Is64Bit ? 64 : 32)}-bit {ElfFile.MachineName(elf.Machine)} file; OSv runs 64-bit x86-64 programs only");
                return Result(full, elf, false, new OsvMissingSymbol[0], new string[0], notes);
            }
            bool runs = elf.RunsOnOsv;
            if (elf.Kind == ElfKind.StaticExecutable)
            {
                notes.Add("it is a static executable; OSv runs dynamically linked programs only (build with gcc -fPIE -pie)");
            }
            else if (!runs)
            {
                notes.Add("it is neither a program nor a shared library");
            }

            var tree = resolver.Resolve(full);
            var missingLibraries = tree.Missing.ToList();
            foreach (var library in missingLibraries)
            {
                notes.Add($"library {library.Name} (needed by {string.Join(", ", library.RequiredBy)}) is not found; its symbols are not counted");
            }
            if (KernelHidesStdCxx && tree.Libraries.Any(l => l.Name == StdCxx))
            {
                notes.Add("this kernel is built with hidden symbols and does not supply libstdc++: carry it with Add-OsvBinary -IncludeLibStdCxx");
            }

            var objects = new List<string> { full };
            objects.AddRange(tree.ToCopy.Select(l => l.Path!).Distinct(StringComparer.Ordinal));
            var tables = objects.Select(o => (Path: o, Symbols: SymbolsOf(o))).ToList();
            var missing = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
            var processCalls = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (objectPath, table) in tables)
            {
                foreach (string name in table.Needed)
                {
                    if (Array.IndexOf(ProcessCalls, name) >= 0)
                    {
                        Add(processCalls, name, objectPath);
                    }
                    if (!kernel.Defines(name) && !libGcc.Defines(name) && !tables.Any(t => t.Symbols.Defines(name)))
                    {
                        Add(missing, name, objectPath);
                    }
                }
            }
            if (processCalls.Count > 0)
            {
                notes.Add("it calls " + string.Join(", ", processCalls.Select(p => $"{p.Key} (from {string.Join(", ", p.Value.Select(Path.GetFileName))})")) +
                    ": OSv runs one program in one address space, so starting another process fails");
            }
            var missingSymbols = missing.Select(m => new OsvMissingSymbol(m.Key, m.Value.ToArray())).ToArray();
            bool compatible = runs && missingLibraries.Count == 0 && missingSymbols.Length == 0;
            return Result(full, elf, compatible, missingSymbols, objects.Skip(1).ToArray(), notes);
        }

        private OsvBinaryCompatibility Result(string path, ElfFile elf, bool compatible, OsvMissingSymbol[] missing, string[] libraries, List<string> notes)
            => new OsvBinaryCompatibility(path, elf.Kind.ToString(), compatible, missing, libraries, notes.ToArray(), KernelPath);

        private static void Add(IDictionary<string, List<string>> map, string key, string value)
        {
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = new List<string>();
            }
            if (!list.Contains(value))
            {
                list.Add(value);
            }
        }

        private DynamicSymbols SymbolsOf(string path)
            => symbols.GetOrAdd(path, p => new Lazy<DynamicSymbols>(() => DynamicSymbols.Read(p))).Value;

        /// <summary>The kernel ELF kept beside a loader image of the repository, or null (Save-OsvImage and Import-OsvImage -Kernel put it there).</summary>
        public static string? FindKernel(CapstanRepository repository, string loaderImage)
        {
            string? image;
            try
            {
                CapstanRepository.ValidateImageName(loaderImage);
                image = repository.FindImageFile(loaderImage);
            }
            catch (OsvException)
            {
                return null;
            }
            string? kernel = image == null ? null : Path.ChangeExtension(image, ".elf");
            return kernel != null && File.Exists(kernel) ? kernel : null;
        }

        /// <summary>libgcc_s's symbols from the repository's osv.bootstrap package, or null when it has none.</summary>
        public static DynamicSymbols? BootstrapLibGcc(CapstanRepository repository)
        {
            string? archive = repository.FindPackageArchive("osv.bootstrap");
            if (archive == null)
            {
                return null;
            }
            var package = PackageArchive.Open("osv.bootstrap", archive, Path.Combine(repository.CachePath, "mpm"));
            var entry = package.Entries.FirstOrDefault(e => e.Kind == TarEntryKind.File && e.Name.TrimStart('.', '/') == "usr/lib/libgcc_s.so.1");
            if (entry == null)
            {
                return null;
            }
            using (var tar = File.OpenRead(package.TarPath))
            {
                return DynamicSymbols.Read(tar, entry.DataOffset, entry.Size, archive + "!/usr/lib/libgcc_s.so.1");
            }
        }
    }
}
