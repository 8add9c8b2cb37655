using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Projects;

namespace OsvPS.Core.Debian
{
    /// <summary>Options of one Add-OsvDebianPackage call.</summary>
    public sealed class DebianCarryOptions
    {
        public DebianDependencyScope Scope { get; set; } = DebianDependencyScope.RunTime;
        /// <summary>Optional content to carry too (documentation, man pages, locales).</summary>
        public DebianContent Include { get; set; }
        /// <summary>True for a path (of a file or of one of its folders) the user leaves out.</summary>
        public Func<string, bool>? Exclude { get; set; }
        public bool Force { get; set; }
        public bool SkipMissing { get; set; }
        /// <summary>Start the packages' programs on Linux's dynamic linker (the root's ld-linux and C library carried with them), as Add-OsvBinary -LinuxLinker does.</summary>
        public bool LinuxLinker { get; set; }
    }

    /// <summary>What carrying one package would do: its files, decided, nothing written yet.</summary>
    public sealed class DebianPackagePlan
    {
        internal DebianPackagePlan(DebianSelection selection)
        {
            Selection = selection;
        }

        public DpkgPackage Package => Selection.Package;
        public DpkgPackage? NeededBy => Selection.NeededBy;
        internal DebianSelection Selection { get; }
        internal List<Placement> Elves { get; } = new List<Placement>();
        internal List<ProjectEntry> Files { get; } = new List<ProjectEntry>();
        internal List<OsvDebianFile> Results { get; } = new List<OsvDebianFile>();

        /// <summary>The files as they would be carried, with the package each comes from.</summary>
        public IReadOnlyList<OsvDebianFile> Planned => Results;
        /// <summary>Files of the package that could not be carried (each one error; the others go on).</summary>
        public List<OsvException> Errors { get; } = new List<OsvException>();
        public List<string> Warnings { get; } = new List<string>();
        /// <summary>Paths left out: optional content not asked for, and what -Exclude names.</summary>
        public int Excluded { get; internal set; }
        public int Changes => Results.Count(r => r.Action != FileAction.Unchanged);
    }

    /// <summary>
    /// Carries what Debian packages installed into a project: each package's files at the paths dpkg
    /// installed them (configuration, data, modules, links), ELF files through <see cref="BinaryPlacer"/>
    /// with the libraries they need, and a shared library that sits in a folder the loader searches at
    /// <c>/usr/lib/&lt;soname&gt;</c>, where OSv's linker finds libraries by name (core/elf.cc searches "/" and
    /// "/usr/lib"). Documentation, man pages and locales stay out unless asked for. Every file and link is
    /// decided and written by the placer's <see cref="ProjectWriter"/>, the project's one writer.
    /// </summary>
    public sealed class DebianCarrier
    {
        private static readonly byte[] ElfMagic = { 0x7F, (byte)'E', (byte)'L', (byte)'F' };
        private readonly DpkgDatabase database;
        private readonly DependencyResolver resolver;
        private readonly BinaryPlacer placer;
        private readonly ProjectWriter writer;
        private readonly string projectPath;
        private readonly HashSet<string> libraryFolders;
        private readonly HashSet<DpkgPackage> planned = new HashSet<DpkgPackage>();
        private readonly HashSet<string> reported = new HashSet<string>(StringComparer.Ordinal);

        public DebianCarrier(DpkgDatabase database, DependencyResolver resolver, BinaryPlacer placer, string projectPath)
        {
            this.database = database;
            this.resolver = resolver;
            this.placer = placer;
            this.projectPath = Path.GetFullPath(projectPath);
            writer = placer.Writer;
            libraryFolders = new HashSet<string>(DebianLayout.LibraryFolders.Concat(resolver.Cache.Folders)
                .Select(f => database.Root.Resolve(Sysroot.Join("/", f))).Where(f => f != null).Select(f => f!), StringComparer.Ordinal);
        }

        /// <summary>The named packages and their dependencies, each planned once per call (later calls skip those planned before).</summary>
        public List<DebianPackagePlan> Plan(IEnumerable<DpkgPackage> named, DebianCarryOptions options)
        {
            var plans = new List<DebianPackagePlan>();
            foreach (var selection in database.Closure(named, options.Scope, StandsInForKernel))
            {
                if (planned.Add(selection.Package))
                {
                    plans.Add(PlanPackage(selection, options));
                }
            }
            return plans;
        }

        // A package that installs a library the OSv kernel supplies (libc6's libc.so.6, libstdc++6, libcrypt1) in a folder the
        // loader searches: the kernel stands in for it, and what its programs need of it is found by their ELF files.
        private bool StandsInForKernel(DpkgPackage package)
        {
            try
            {
                return database.Files(package).Any(f => resolver.IsProvided(Path.GetFileName(f)) && database.Root.Locate(f) is string located
                    && libraryFolders.Contains(Sysroot.Parent(located)));
            }
            catch (OsvException)
            {
                // A broken list: the package is not skipped here, and its own carrying reports the list.
                return false;
            }
        }

        private DebianPackagePlan PlanPackage(DebianSelection selection, DebianCarryOptions options)
        {
            var plan = new DebianPackagePlan(selection);
            var package = selection.Package;
            IReadOnlyList<string> entries;
            try
            {
                entries = database.Files(package);
            }
            catch (OsvException e)
            {
                // A broken list is this package's failure; the other packages go on.
                plan.Errors.Add(e);
                return plan;
            }
            var folders = new HashSet<string>(entries.SelectMany(e => DebianLayout.SelfAndFolders(Sysroot.Parent(e))), StringComparer.Ordinal);
            var conffiles = new HashSet<string>(package.Conffiles.Where(c => !c.Obsolete).Select(c => c.Path), StringComparer.Ordinal);
            // The package's own libraries, carried at the paths dpkg put them: one its program opens by path from a private
            // folder (the JVM's lib/server/libjvm.so) satisfies, by its soname, the other libraries of the package that need it.
            var own = new HashSet<string>(entries.Select(e => e.Substring(e.LastIndexOf('/') + 1)).Where(n => n.Contains(".so")), StringComparer.Ordinal);
            var missing = new List<string>();
            foreach (string entry in entries)
            {
                if ((DebianLayout.ContentOf(entry) & ~options.Include) != DebianContent.None
                    || (options.Exclude != null && DebianLayout.SelfAndFolders(entry).Any(options.Exclude)))
                {
                    plan.Excluded++;
                    continue;
                }
                try
                {
                    PlanEntry(plan, entry, folders.Contains(entry), conffiles.Contains(entry), options, missing, own);
                }
                catch (OsvException e)
                {
                    plan.Errors.Add(e);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    plan.Errors.Add(new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read '{entry}' of package '{package.Name}': {e.Message}", entry, e));
                }
            }
            if (missing.Count > 0)
            {
                plan.Warnings.Add($"{missing.Count} path(s) that dpkg lists for package '{package.Name}' are not on the disk, and are not in the project: " +
                    string.Join(", ", missing.Take(5)) + (missing.Count > 5 ? ", ..." : "") + ".");
            }
            return plan;
        }

        private void PlanEntry(DebianPackagePlan plan, string entry, bool isFolderOfPackage, bool isConffile, DebianCarryOptions options, List<string> missing, HashSet<string> own)
        {
            var root = database.Root;
            string? located = root.Locate(entry);
            var type = located == null ? SysrootEntryType.Missing : root.TypeOf(located);
            string name = plan.Package.Name;
            switch (type)
            {
                case SysrootEntryType.Missing:
                    missing.Add(entry);
                    return;
                case SysrootEntryType.Directory:
                case SysrootEntryType.Other:
                    return;
                case SysrootEntryType.SymbolicLink:
                    string host = root.Host(located!);
                    string? resolved = root.Resolve(entry);
                    var resolvedType = resolved == null ? SysrootEntryType.Missing : root.TypeOf(resolved);
                    // A link that stands for a folder of the package (/bin on a merged /usr): its files come on their own.
                    if (resolvedType == SysrootEntryType.Directory && isFolderOfPackage)
                    {
                        return;
                    }
                    // The soname link of a library placed by its name.
                    if (resolvedType == SysrootEntryType.Regular && LoaderFindsByName(located!, Path.GetFileName(entry)) && IsLibrary(root.Host(resolved!)))
                    {
                        return;
                    }
                    string target = DebianLayout.RelativeTarget(entry, IO.SymbolicLink.ReadTarget(host));
                    var link = writer.PlanLink(entry, target, host, options.Force);
                    plan.Files.Add(link);
                    Report(plan, new OsvDebianFile(name, DebianFileKind.SymbolicLink, entry, host, 0, link.Action, target, new string[0], projectPath));
                    return;
            }
            string source = root.Host(located!);
            var elf = ReadElf(source);
            if (elf != null && elf.IsX8664 && elf.RunsOnOsv)
            {
                string soname = elf.Soname ?? Path.GetFileName(entry);
                bool byName = elf.Kind == ElfKind.SharedLibrary && LoaderFindsByName(located!, soname);
                // What the kernel supplies (libc.so.6 is an executable too) is the kernel's; its programs' linker brings its own.
                if (IsSharedObject(elf) && LoaderFindsByName(located!, soname) && resolver.IsProvided(soname))
                {
                    return;
                }
                // Linux's linker starts executables (PT_INTERP), and loads the libraries those programs open (the JVM's libjvm.so),
                // which then need their libraries where that linker looks; a library exporting main is started by OSv's linker only.
                bool linux = options.LinuxLinker && (elf.Kind == ElfKind.PositionIndependentExecutable || elf.Kind == ElfKind.DynamicExecutable
                    || (elf.Kind == ElfKind.SharedLibrary && !OsvPrograms.IsProgram(elf, () => DynamicSymbols.Read(source))));
                var placement = placer.Plan(source, new PlacementOptions
                {
                    GuestPath = byName ? null : entry, Force = options.Force, SkipMissing = options.SkipMissing, LinuxLinker = linux, PlacedElsewhere = own.Contains,
                });
                plan.Elves.Add(placement);
                plan.Warnings.AddRange(placement.Warnings);
                bool first = true;
                foreach (var file in placement.Planned)
                {
                    var kind = !first ? DebianFileKind.Dependency
                        : elf.Kind == ElfKind.SharedLibrary || (IsSharedObject(elf) && LoaderFindsByName(located!, soname)) ? DebianFileKind.Library : DebianFileKind.Program;
                    string? owner = first ? name : database.Owner(GuestOf(file.SourcePath))?.Name;
                    Report(plan, new OsvDebianFile(owner, kind, file.GuestPath, file.SourcePath, file.Size, file.Action, null, file.RequiredBy, projectPath, first ? placement.BootCommand : null));
                    first = false;
                }
                return;
            }
            var status = IO.UnixFile.RequireRegular(source, ErrorIds.BinaryNotFound, ErrorIds.BinaryNotAFile);
            var copy = writer.PlanFile(entry, new HostFileContent(source, status), options.Force);
            plan.Files.Add(copy);
            Report(plan, new OsvDebianFile(name, isConffile ? DebianFileKind.Configuration : DebianFileKind.Data, entry, source, status.Size, copy.Action, null, new string[0], projectPath));
        }

        // Each guest path is reported once per call, by the first package that carries it.
        private void Report(DebianPackagePlan plan, OsvDebianFile file)
        {
            if (reported.Add(file.GuestPath))
            {
                plan.Results.Add(file);
            }
        }

        // The loader finds it without being told where: in one of its folders, or through ld.so.cache under that name.
        private bool LoaderFindsByName(string located, string name)
            => libraryFolders.Contains(Sysroot.Parent(located))
               || resolver.Cache.Lookup(name).Any(p => database.Root.Locate(Sysroot.Join("/", p)) == located);

        private bool IsLibrary(string host) => ReadElf(host) is ElfFile elf && IsSharedObject(elf);

        // A shared library, or an executable with a soname (libc.so.6 and libcap.so.2 also run as programs): what the loader opens by that name.
        private static bool IsSharedObject(ElfFile elf) => elf.Kind == ElfKind.SharedLibrary || (elf.Kind == ElfKind.PositionIndependentExecutable && elf.Soname != null);

        // The ELF file at a host path, or null for anything else (data, scripts, an ELF file too broken to use).
        private ElfFile? ReadElf(string host)
        {
            var head = new byte[4];
            using (var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1))
            {
                if (stream.Read(head, 0, 4) != 4 || !head.SequenceEqual(ElfMagic))
                {
                    return null;
                }
            }
            try
            {
                return resolver.Read(host);
            }
            catch (OsvException)
            {
                return null;
            }
        }

        private string GuestOf(string host)
        {
            string root = database.Root.Root;
            return root == "/" ? host : host.StartsWith(root + "/", StringComparison.Ordinal) ? host.Substring(root.Length) : host;
        }

        /// <summary>Writes what <paramref name="plan"/> decided; returns the files carried.</summary>
        public IReadOnlyList<OsvDebianFile> Apply(DebianPackagePlan plan)
        {
            foreach (var placement in plan.Elves)
            {
                placer.Apply(placement);
            }
            foreach (var file in plan.Files)
            {
                writer.Apply(file);
            }
            return plan.Planned;
        }

        /// <summary>Makes everything written in this call durable.</summary>
        public void Complete() => writer.Complete();
    }
}
