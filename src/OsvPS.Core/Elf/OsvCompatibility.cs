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
    /// Whether OSv can run a program, decided before booting, for each way OsvPS can start it: on OSv's own linker
    /// (the program and the libraries it would carry bound to the kernel's .dynsym and osv.bootstrap's libgcc_s, with
    /// the rules of <see cref="LinkerRules.Osv"/>), and on Linux's dynamic linker (the host's ld-linux-x86-64.so.2
    /// and C library carried with it, with glibc's rules). Symbol tables and relocations are read once per file.
    /// </summary>
    public sealed class OsvCompatibility
    {
        /// <summary>A symbol only a libstdc++ built into the kernel defines: its absence means a kernel built with hidden symbols.</summary>
        private const string StdCxxProbe = "_ZNSt8ios_base4InitC1Ev";
        private const string StdCxx = "libstdc++.so.6";
        private const string LibGcc = "libgcc_s.so.1";

        private readonly DependencyResolver resolver;
        private readonly DependencyResolver linuxResolver;
        private readonly DynamicSymbols kernel;
        private readonly DynamicSymbols libGcc;
        private readonly ConcurrentDictionary<string, Lazy<DynamicSymbols>> symbols = new ConcurrentDictionary<string, Lazy<DynamicSymbols>>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Lazy<ElfRelocations>> relocations = new ConcurrentDictionary<string, Lazy<ElfRelocations>>(StringComparer.Ordinal);
        // A program's definitions and its libraries', per way, for the plugins checked with it.
        private readonly ConcurrentDictionary<(string, bool), Lazy<IReadOnlyList<DynamicSymbols>>> companionTables =
            new ConcurrentDictionary<(string, bool), Lazy<IReadOnlyList<DynamicSymbols>>>();

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
                options = Copy(options, options.Provided.Where(p => p != StdCxx && p != "libstdc++").ToList(), options.IncludeProvided);
            }
            resolver = new DependencyResolver(options);
            linuxResolver = new DependencyResolver(LinuxOptions(options));
            this.libGcc = libGcc ?? DynamicSymbols.Empty;
        }

        /// <summary>
        /// A check that shares <paramref name="resolver"/> (OSv's linker's search) and <paramref name="linuxResolver"/>
        /// (Linux's: <see cref="LinuxOptions"/>), and so their memos, with the caller, e.g. Add-OsvBinary's.
        /// </summary>
        public OsvCompatibility(DependencyResolver resolver, DependencyResolver linuxResolver, string kernelPath, DynamicSymbols? libGcc)
        {
            KernelPath = kernelPath;
            kernel = ReadKernel(kernelPath);
            KernelHidesStdCxx = !kernel.Defines(StdCxxProbe);
            this.resolver = resolver;
            this.linuxResolver = linuxResolver;
            this.libGcc = libGcc ?? DynamicSymbols.Empty;
        }

        /// <summary>The search Linux's linker makes: the same root and folders, every library carried (the C library too).</summary>
        public static ResolverOptions LinuxOptions(ResolverOptions options) => Copy(options, options.Provided, true);

        private static ResolverOptions Copy(ResolverOptions options, IReadOnlyCollection<string> provided, bool includeProvided) => new ResolverOptions
        {
            Root = options.Root,
            LibraryPath = options.LibraryPath,
            IncludeProvided = includeProvided,
            Provided = provided,
        };

        private static DynamicSymbols ReadKernel(string kernelPath)
        {
            var symbols = DynamicSymbols.Read(kernelPath);
            if (symbols.Defined.Count == 0)
            {
                throw new OsvException(ErrorIds.KernelInvalid, OsvErrorKind.InvalidData,
                    $"'{kernelPath}' has no dynamic symbols: it is not an OSv kernel ELF (loader-stripped.elf, osv-loader.elf.x86_64.gz).", kernelPath);
            }
            return symbols;
        }

        public string KernelPath { get; }

        /// <summary>True for a kernel built with hidden symbols: it does not supply libstdc++, so images carry it.</summary>
        public bool KernelHidesStdCxx { get; }

        /// <summary>
        /// The bytes OSv's kernel keeps for the thread-local storage of a program OSv's linker loads (an executable with
        /// PT_INTERP): from <c>_pie_static_tls_start</c>..<c>_pie_static_tls_end</c> when the kernel exports them, else
        /// OSv's default <c>app_local_exec_tls_size</c>, 512 (Makefile; a stripped kernel keeps its ALIGN(64) padding
        /// over it, 536 bytes in the v0.57.0-398 build the tests use). Shared libraries and static executables are not limited.
        /// </summary>
        private (long Bytes, string Said) ProgramTlsLimit
        {
            get
            {
                var start = kernel.ValueOf("_pie_static_tls_start");
                var end = kernel.ValueOf("_pie_static_tls_end");
                return start != null && end != null && end.Value.Value > start.Value.Value
                    ? ((long)(end.Value.Value - start.Value.Value), $"the {end.Value.Value - start.Value.Value} bytes")
                    : (512, "the 512 bytes (at least: OSv's default app_local_exec_tls_size)");
            }
        }

        /// <summary>
        /// Checks one program or library. <paramref name="companions"/> are programs added with it: their symbols count
        /// as defined, as for a plugin that the program it belongs to loads (OSv and glibc search every loaded object).
        /// </summary>
        public OsvBinaryCompatibility Check(string path, IReadOnlyList<string>? companions = null)
        {
            string full = Path.GetFullPath(path);
            IO.UnixFile.RequireRegular(full, ErrorIds.BinaryNotFound, ErrorIds.BinaryNotAFile);
            var elf = resolver.Read(full);
            var notes = new List<string>();
            bool isProgram = OsvPrograms.IsProgram(elf, () => SymbolsOf(full));
            if (!elf.IsX8664)
            {
                notes.Add($"it is a {(elf.Is64Bit ? 64 : 32)}-bit {ElfFile.MachineName(elf.Machine)} file; OSv runs 64-bit x86-64 programs only");
                var other = SymbolCheck.CannotRun(notes[0]);
                return new OsvBinaryCompatibility(full, elf.Kind.ToString(), isProgram, other, other, notes.ToArray(), KernelPath);
            }
            if (elf.Kind == ElfKind.Other)
            {
                notes.Add("it is neither a program nor a shared library");
                var neither = SymbolCheck.CannotRun(notes[0]);
                return new OsvBinaryCompatibility(full, elf.Kind.ToString(), false, neither, neither, notes.ToArray(), KernelPath);
            }
            if (elf.Kind == ElfKind.StaticExecutable)
            {
                notes.Add("it is a static executable: OSv starts it at its entry point and serves its system calls itself; " +
                    "one OSv lacks prints 'syscall(): unimplemented system call N' and fails with an error");
                var findings = OsvKernelRules.Check(full, new[] { (full, SymbolsOf(full)) }, out bool go);
                if (go)
                {
                    notes.Add(GoNote);
                }
                return new OsvBinaryCompatibility(full, elf.Kind.ToString(), true,
                    OsvKernelRules.Apply(new OsvWayVerdict(OsvRunVerdict.Runs, null, new OsvMissingSymbol[0], new string[0]), findings),
                    SymbolCheck.CannotRun("a static executable has no dynamic linker to run: OSv starts it directly (OsvLinker)"), notes.ToArray(), KernelPath, findings);
            }
            var osv = OnOsvLinker(full, companions ?? new string[0], notes, out var loaded);
            var found = OsvKernelRules.Check(full, loaded.Select(o => (o.Path, o.Symbols)).ToList(), out bool isGo);
            if (isGo)
            {
                notes.Add(GoNote);
            }
            if (elf.Interpreter != null && elf.Interpreter.Contains("ld-musl-"))
            {
                notes.Add(MuslNote + (elf.Needed.Contains("libc.so") ? "; it names its C library libc.so (as musl-gcc links), a name OSv does not answer for: it loads only where a file of that name is carried" : ""));
            }
            var tlsLimit = ProgramTlsLimit;
            if (elf.Interpreter != null && elf.StaticTlsSize > tlsLimit.Bytes)
            {
                osv = SymbolCheck.CannotRun(
                    $"its thread-local storage ({elf.StaticTlsSize} bytes) is over {tlsLimit.Said} OSv's kernel keeps for a program's: OSv prints " +
                    $"'is a PIE using TLS of size {elf.StaticTlsSize} which is greater than the ... bytes limit' (core/elf.cc), loads it anyway, and the copy overruns the thread's block " +
                    $"(seen: an assertion in page_fault); it needs a kernel built with app_local_exec_tls_size of at least {elf.StaticTlsSize}, or the program linked with -shared", osv.Libraries);
            }
            var linux = elf.Kind == ElfKind.SharedLibrary && isProgram
                ? SymbolCheck.CannotRun("Linux's dynamic linker starts executables, not a shared library that exports main: OSv's linker runs it")
                : OnLinuxLinker(full, elf, companions ?? new string[0]);
            return new OsvBinaryCompatibility(full, elf.Kind.ToString(), isProgram, OsvKernelRules.Apply(osv, found), OsvKernelRules.Apply(linux, found),
                notes.ToArray(), KernelPath, found);
        }

        private const string GoNote = "it is a Go program: its runtime makes its system calls itself, through the syscall instruction, which OSv serves for about 150 calls " +
            "(linux.cc:752-768; seen: a static Go 1.19 program runs, with its goroutines); a call OSv lacks prints 'syscall(): unimplemented system call N' and fails with ENOSYS";

        private const string MuslNote = "it is a musl program: OSv ignores its dynamic linker and binds it to the kernel's own C library (derived from musl 1.2.1), " +
            "which answers for libc.musl-x86_64.so.1 and ld-musl-x86_64.so.1 (core/elf.cc:1384-1426); musl functions the kernel lacks (syslog, err, warn, posix_spawn...) " +
            "stop it when called, as MissingSymbols says";

        private OsvWayVerdict OnOsvLinker(string full, IReadOnlyList<string> companions, List<string> notes, out IReadOnlyList<LinkedObject> loaded)
        {
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
            var objects = Objects(full, tree, resolver);
            var others = new List<DynamicSymbols> { kernel };
            // osv.bootstrap's libgcc_s is loaded when an object needs it.
            if (tree.Libraries.Any(l => l.Name == LibGcc && l.Via == ResolvedVia.Provided))
            {
                others.Add(libGcc);
            }
            others.AddRange(companions.Where(c => c != full).SelectMany(c => CompanionTables(c, false)));
            loaded = objects;
            var libraries = objects.Skip(1).Select(o => o.Path).ToArray();
            var verdict = SymbolCheck.Run(objects, others, LinkerRules.Osv, OsvRunWay.OsvLinker, libraries);
            if (missingLibraries.Count == 0)
            {
                return verdict;
            }
            string why = "stops at load: " + string.Join(", ", missingLibraries.Select(l => l.Name)) + " not found" + (verdict.Reason == null ? "" : "; " + verdict.Reason);
            return new OsvWayVerdict(OsvRunVerdict.FailsAtLoad, why, verdict.Missing, libraries);
        }

        private OsvWayVerdict OnLinuxLinker(string full, ElfFile elf, IReadOnlyList<string> companions)
        {
            string interpreter = elf.Interpreter ?? ElfFile.StandardInterpreter;
            string? problem = LinuxLinkerProblem(interpreter, out string host);
            if (problem != null)
            {
                return SymbolCheck.CannotRun(problem);
            }
            var tree = linuxResolver.Resolve(full);
            var missingLibraries = tree.Missing.Select(l => l.Name).Distinct().ToList();
            var objects = Objects(full, tree, linuxResolver).ToList();
            var libraries = objects.Skip(1).Select(o => o.Path).ToList();
            if (missingLibraries.Count > 0)
            {
                return SymbolCheck.CannotRun($"{string.Join(", ", missingLibraries)} not found on {(linuxResolver.Root == "/" ? "this system" : linuxResolver.Root)}", libraries);
            }
            // The loader is loaded whether or not an object names it, and defines what libc takes from it.
            if (!tree.Libraries.Any(l => l.Name == OsvPrograms.LinuxLinkerSoname && l.Path != null))
            {
                objects.Add(Linked(host, linuxResolver));
                libraries.Add(host);
            }
            var others = companions.Where(c => c != full).SelectMany(c => CompanionTables(c, true)).ToList();
            return SymbolCheck.Run(objects, others, LinkerRules.Glibc, OsvRunWay.LinuxLinker, libraries);
        }

        /// <summary>
        /// Why the dynamic linker <paramref name="interpreter"/> names (on the root being resolved) cannot be carried for
        /// OSv to run, or null; <paramref name="host"/> is where it is.
        /// </summary>
        public string? LinuxLinkerProblem(string interpreter, out string host) => LinuxLinkerProblem(linuxResolver, interpreter, out host);

        /// <summary>As <see cref="LinuxLinkerProblem(string, out string)"/>, on <paramref name="search"/>'s root.</summary>
        public static string? LinuxLinkerProblem(DependencyResolver search, string interpreter, out string host)
        {
            host = SysrootPaths.Resolve(LdCache.Rooted(search.Root, interpreter), search.Root);
            if (!File.Exists(host))
            {
                return $"its dynamic linker {interpreter} is not on {(search.Root == "/" ? "this system" : search.Root)}";
            }
            ElfFile loader;
            try
            {
                loader = search.Read(host);
            }
            catch (OsvException e)
            {
                return $"its dynamic linker {interpreter} cannot be read: {e.Message}";
            }
            return OsvPrograms.IsLinuxLinker(loader) ? null
                : $"its dynamic linker {interpreter} is not glibc's {OsvPrograms.LinuxLinkerSoname}, the one OSv runs as a program";
        }

        private List<LinkedObject> Objects(string program, DependencyTree tree, DependencyResolver search)
        {
            var objects = new List<LinkedObject> { Linked(program, search) };
            objects.AddRange(tree.ToCopy.Select(l => l.Path!).Distinct(StringComparer.Ordinal).Select(p => Linked(p, search)));
            return objects;
        }

        private IReadOnlyList<DynamicSymbols> CompanionTables(string program, bool linux)
            => companionTables.GetOrAdd((program, linux), key => new Lazy<IReadOnlyList<DynamicSymbols>>(() =>
            {
                var search = key.Item2 ? linuxResolver : resolver;
                return Objects(key.Item1, search.Resolve(key.Item1), search).Select(o => o.Symbols).ToList();
            })).Value;

        /// <summary>
        /// Checks many inputs on all cores, sharing the memos; results come back in input order, a failure as that
        /// input's error. Each input is a path and the programs it is checked with (<see cref="Check"/>).
        /// </summary>
        public IReadOnlyList<ItemResult<OsvBinaryCompatibility>> CheckMany(IReadOnlyList<(string Path, IReadOnlyList<string>? Programs)> inputs,
            System.Threading.CancellationToken cancellation)
            => ItemResults.InParallel(inputs, input => input.Path, input => Check(input.Path, input.Programs), cancellation);

        private LinkedObject Linked(string path, DependencyResolver search)
            => new LinkedObject(path, SymbolsOf(path), relocations.GetOrAdd(path, p => new Lazy<ElfRelocations>(() => ElfRelocations.Read(search.Read(p)))).Value);

        private DynamicSymbols SymbolsOf(string path)
            => symbols.GetOrAdd(path, p => new Lazy<DynamicSymbols>(() => DynamicSymbols.Read(p))).Value;

        /// <summary>
        /// The check against the kernel of the repository's default loader (<c>osv-loader</c>), sharing the callers'
        /// resolvers; null when there is none to read, with <paramref name="whyNot"/> saying why when one is there.
        /// </summary>
        public static OsvCompatibility? ForDefaultLoader(CapstanRepository repository, DependencyResolver resolver, DependencyResolver linuxResolver, out string? whyNot)
        {
            whyNot = null;
            string? kernel = FindKernel(repository, "osv-loader");
            if (kernel == null)
            {
                return null;
            }
            try
            {
                return new OsvCompatibility(resolver, linuxResolver, kernel, BootstrapLibGcc(repository));
            }
            catch (OsvException e)
            {
                whyNot = $"'{kernel}' cannot be read: {e.Message}";
                return null;
            }
        }

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
