using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Elf
{
    /// <summary>Options of one Add-OsvBinary input.</summary>
    public sealed class PlacementOptions
    {
        /// <summary>
        /// Where the input goes in the guest (default: <c>/&lt;name&gt;</c> for programs, <c>/usr/lib/&lt;soname&gt;</c> for libraries);
        /// one ending in <c>/</c> is a folder that receives the input under its file name.
        /// </summary>
        public string? GuestPath { get; set; }
        /// <summary>
        /// Carry a dynamic program for Linux's dynamic linker: the host's loader at its PT_INTERP path, and every library
        /// (the C library too) at the path that loader opens it by (<see cref="LinuxLinkerLayout"/>).
        /// </summary>
        public bool LinuxLinker { get; set; }
        public bool NoDependencies { get; set; }
        /// <summary>Replace a different file already at a guest path.</summary>
        public bool Force { get; set; }
        /// <summary>Place what was found even when some libraries are missing.</summary>
        public bool SkipMissing { get; set; }
        /// <summary>Compare content with the project's copy even when size and modification time agree.</summary>
        public bool Checksum { get; set; }
    }

    /// <summary>A checked placement: the files and what each would do, nothing written yet.</summary>
    public sealed class Placement
    {
        internal Placement(string input, ElfFile elf, IReadOnlyList<(OsvFile File, string Target)> files, IReadOnlyList<string> warnings, bool refreshesTimes,
            bool isProgram, string? bootCommand)
        {
            IsProgram = isProgram;
            BootCommand = bootCommand;
            Input = input;
            Elf = elf;
            Files = files;
            Warnings = warnings;
            RefreshesTimes = refreshesTimes;
        }

        /// <summary>True when an unchanged file only needs its modification time set to its source's.</summary>
        public bool RefreshesTimes { get; }

        public string Input { get; }
        public ElfFile Elf { get; }
        /// <summary>True when OSv starts the input as a program (<see cref="OsvPrograms.IsProgram"/>).</summary>
        public bool IsProgram { get; }
        /// <summary>The command that starts the input as placed (e.g. <c>/lib64/ld-linux-x86-64.so.2 /busybox</c>); null for a library.</summary>
        public string? BootCommand { get; }
        internal IReadOnlyList<(OsvFile File, string Target)> Files { get; }
        public IEnumerable<OsvFile> Planned => Files.Select(f => f.File);
        /// <summary>What the user should hear (static executables, unusual interpreters, skipped missing libraries).</summary>
        public IReadOnlyList<string> Warnings { get; }
    }

    /// <summary>
    /// Copies programs and the libraries they need into a project at the guest paths OSv expects.
    /// One placer serves one call: each guest file is decided once however many inputs need it, a
    /// copy keeps its source's modification time so that equal size and time mean unchanged (as
    /// rsync decides by default), and the data written reaches the disk in one sync at the end
    /// (<see cref="Complete"/>) instead of one flush per file.
    /// </summary>
    public sealed class BinaryPlacer
    {
        private readonly DependencyResolver resolver;
        private readonly DependencyResolver? linuxResolver;
        private readonly string projectPath;
        private readonly ContainedFolder project;

        /// <summary>The project's one writer, which every file placed in it goes through (the Debian carrier's too).</summary>
        internal ContainedFolder Project => project;
        // Project file -> the source placed there in this call, and what a later input finds there.
        private readonly Dictionary<string, (string Source, UnixFileStatus Status, FileAction Action)> decided =
            new Dictionary<string, (string, UnixFileStatus, FileAction)>(StringComparer.Ordinal);
        private readonly List<string> written = new List<string>();
        // Project files with the right content but not their source's time (copied before copies kept it).
        private readonly HashSet<string> staleTimes = new HashSet<string>(StringComparer.Ordinal);

        /// <param name="resolver">The search for OSv's linker.</param>
        /// <param name="projectPath">The project folder.</param>
        /// <param name="linuxResolver">The search for Linux's linker (every library carried), for <see cref="PlacementOptions.LinuxLinker"/>.</param>
        public BinaryPlacer(DependencyResolver resolver, string projectPath, DependencyResolver? linuxResolver = null)
        {
            this.resolver = resolver;
            this.linuxResolver = linuxResolver;
            this.projectPath = Path.GetFullPath(projectPath);
            project = new ContainedFolder(this.projectPath);
        }

        public Placement Plan(string input, PlacementOptions options)
        {
            string full = Path.GetFullPath(input);
            UnixFile.RequireRegular(full, ErrorIds.BinaryNotFound, ErrorIds.BinaryNotAFile);
            var elf = resolver.Read(full);
            if (!elf.IsX8664)
            {
                throw new OsvException(ErrorIds.ElfArchitectureNotSupported, OsvErrorKind.InvalidData,
                    $"'{full}' is a {(elf.Is64Bit ? 64 : 32)}-bit {ElfFile.MachineName(elf.Machine)} ELF file; OSv runs 64-bit x86-64 programs only.", full);
            }
            var warnings = new List<string>();
            if (elf.Kind == ElfKind.Other)
            {
                warnings.Add($"'{full}' is neither a program nor a shared library; OSv will not run it.");
            }
            bool linux = options.LinuxLinker && elf.Kind != ElfKind.StaticExecutable && elf.Kind != ElfKind.Other;
            if (!linux && elf.Interpreter != null && elf.Interpreter != ElfFile.StandardInterpreter)
            {
                warnings.Add($"'{full}' asks for the interpreter '{elf.Interpreter}', not the standard x86-64 loader; OSv uses its own loader regardless.");
            }

            bool program = OsvPrograms.IsProgram(elf, () => DynamicSymbols.Read(full));
            if (linux && program && elf.Kind == ElfKind.SharedLibrary)
            {
                throw new OsvException(ErrorIds.LinuxLinkerNotApplicable, OsvErrorKind.InvalidArgument,
                    $"'{full}' is a shared library that exports main: only OSv's linker starts it, Linux's starts executables. Add it without -LinuxLinker.", full);
            }
            string guest = DefaultGuestPath(options.GuestPath, full, elf, program);
            var files = new List<(OsvFile, string)> { Describe(guest, full, elf, new string[0], options) };
            string? boot = program ? Packaging.OsvCommandGrammar.Word(guest) : null;
            if (linux)
            {
                boot = PlanLinux(full, elf, guest, program, files, warnings, options);
            }
            else if (!options.NoDependencies)
            {
                var tree = resolver.Resolve(full);
                CheckMissing(full, tree, warnings, options);
                foreach (var library in tree.ToCopy)
                {
                    files.Add(Describe("/usr/lib/" + library.Name, library.Path!, library.Elf!, library.RequiredBy.ToArray(), options));
                }
            }
            files[0] = (files[0].Item1.WithBootCommand(boot), files[0].Item2);
            return new Placement(full, elf, files, warnings, files.Any(f => staleTimes.Contains(f.Item2)), program, boot);
        }

        // Programs at /<name>, libraries at /usr/lib/<soname>; a -GuestPath ending in '/' is the folder that receives the file.
        private static string DefaultGuestPath(string? given, string full, ElfFile elf, bool program)
        {
            string name = Path.GetFileName(full);
            if (given == null)
            {
                return program ? "/" + name : "/usr/lib/" + (elf.Soname ?? name);
            }
            return given.EndsWith("/", StringComparison.Ordinal) ? given + name : given;
        }

        private static void CheckMissing(string full, DependencyTree tree, List<string> warnings, PlacementOptions options)
        {
            var missing = tree.Missing.ToList();
            if (missing.Count == 0)
            {
                return;
            }
            string list = string.Join("; ", missing.Select(m => $"{m.Name} (needed by {string.Join(", ", m.RequiredBy)})"));
            if (!options.SkipMissing)
            {
                throw new OsvException(ErrorIds.SharedLibraryNotFound, OsvErrorKind.ObjectNotFound,
                    $"'{full}' needs libraries that cannot be found: {list}. Nothing was copied for it; add their folder with -LibraryPath, or use -SkipMissing.", full);
            }
            warnings.Add($"'{full}': these libraries were not found and are not in the project: {list}.");
        }

        // The host's loader at the program's PT_INTERP path, every library where that loader opens it; returns the boot command.
        private string? PlanLinux(string full, ElfFile elf, string guest, bool program, List<(OsvFile, string)> files, List<string> warnings, PlacementOptions options)
        {
            var search = linuxResolver ?? throw new InvalidOperationException("this placer has no search for Linux's linker");
            string interpreter = elf.Interpreter ?? ElfFile.StandardInterpreter;
            if (program)
            {
                string? problem = OsvCompatibility.LinuxLinkerProblem(search, interpreter, out string host);
                if (problem != null)
                {
                    throw new OsvException(ErrorIds.LinuxLinkerNotFound, OsvErrorKind.ObjectNotFound,
                        $"'{full}' cannot be carried with Linux's dynamic linker: {problem}. Add it without -LinuxLinker.", full);
                }
                files.Add(Describe(interpreter, host, search.Read(host), new[] { full }, options));
            }
            var libraries = new List<string>();
            if (!options.NoDependencies)
            {
                var tree = search.Resolve(full);
                CheckMissing(full, tree, warnings, options);
                // The loader is mapped once; libc's DT_NEEDED on it finds it by its soname.
                foreach (var library in tree.ToCopy.Where(l => !OsvPrograms.IsLinuxLinker(l.Elf!)))
                {
                    string at = LinuxLinkerLayout.GuestPath(library);
                    files.Add(Describe(at, library.Path!, library.Elf!, library.RequiredBy.ToArray(), options));
                    libraries.Add(at);
                }
            }
            return program ? LinuxLinkerLayout.BootCommand(interpreter, libraries, guest) : null;
        }

        private (OsvFile, string) Describe(string guest, string source, ElfFile elf, string[] requiredBy, PlacementOptions options)
        {
            string target = GuestTarget(guest);
            var status = UnixFile.RequireRegular(source, ErrorIds.BinaryNotFound, ErrorIds.BinaryNotAFile);
            FileAction action;
            if (decided.TryGetValue(target, out var earlier))
            {
                // Already decided in this call: the same file again costs nothing.
                action = SameFile(earlier.Status, status) ? earlier.Action : Conflict(guest, target, source, options.Force);
            }
            else
            {
                action = Decide(guest, target, source, status, options);
            }
            decided[target] = (source, status, action);
            return (new OsvFile(guest, source, elf.Kind.ToString(), elf.Needed.ToArray(), requiredBy, status.Size, action, projectPath), target);
        }

        private FileAction Decide(string guest, string target, string source, UnixFileStatus status, PlacementOptions options)
        {
            var existing = UnixFile.Stat(target);
            if (existing == null)
            {
                return FileAction.Added;
            }
            if (existing.Type == UnixFileType.Directory)
            {
                throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists, $"'{guest}' is a folder in the project; it cannot receive '{source}'.", guest);
            }
            // Equal size and time mean unchanged; content is read only when asked, or when the times
            // differ (a copy made before copies kept their source's time).
            bool sameTime = existing.ModifiedTicks == status.ModifiedTicks;
            bool same = existing.Size == status.Size && (options.Checksum || !sameTime ? SameContent(source, target) : true);
            if (!same)
            {
                return Conflict(guest, target, source, options.Force);
            }
            if (!sameTime)
            {
                staleTimes.Add(target);
            }
            return FileAction.Unchanged;
        }

        private static FileAction Conflict(string guest, string target, string source, bool force)
            => force ? FileAction.Replaced : throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists,
                $"'{guest}' in the project ({target}) holds a different file than '{source}'; use -Force to replace it.", guest);

        private static bool SameFile(UnixFileStatus a, UnixFileStatus b) => a.Size == b.Size && a.ModifiedTicks == b.ModifiedTicks;

        /// <summary>The project file of a guest path; an error when the path would leave the project.</summary>
        // The folders OSv's fstab mounts over at boot (static/etc/fstab_rofs: devfs, procfs, sysfs, ramfs on /tmp).
        private static readonly HashSet<string> OsvMountPoints = new HashSet<string>(StringComparer.Ordinal) { "tmp", "dev", "proc", "sys" };

        public string GuestTarget(string guest)
        {
            if (!guest.StartsWith("/", StringComparison.Ordinal))
            {
                guest = "/" + guest;
            }
            var parts = guest.Split('/').Where(p => p.Length > 0).ToList();
            if (parts.Count == 0 || parts.Any(p => p == ".." || p == ".") || parts[0] == "meta")
            {
                throw new OsvException(ErrorIds.GuestPathInvalid, OsvErrorKind.InvalidArgument,
                    $"'{guest}' is not a guest path inside the project (it must name a file, without '..', outside /meta).", guest);
            }
            if (parts.Count > 1 && OsvMountPoints.Contains(parts[0]))
            {
                // OSv mounts over these at boot (its fstab: ramfs on /tmp, devfs, procfs, sysfs): a file the image holds there is hidden.
                throw new OsvException(ErrorIds.GuestPathInvalid, OsvErrorKind.InvalidArgument,
                    $"'{guest}' is under /{parts[0]}, where OSv mounts {(parts[0] == "tmp" ? "a ramfs" : "its own file system")} at boot and hides what the image holds; place it elsewhere (-GuestPath).", guest);
            }
            // A folder of the project that is a symbolic link would carry the write outside it.
            string current = projectPath;
            foreach (string part in parts.Take(parts.Count - 1))
            {
                current = Path.Combine(current, part);
                var info = new DirectoryInfo(current);
                if (info.Exists && SymbolicLink.IsLink(info))
                {
                    throw new OsvException(ErrorIds.GuestPathInvalid, OsvErrorKind.InvalidArgument,
                        $"'{guest}' goes through '{current}', a symbolic link in the project; OsvPS writes only into the project's own folders.", guest);
                }
            }
            return Path.Combine(current, parts[parts.Count - 1]);
        }

        /// <summary>
        /// Copies the planned files, each written beside its target with its source's modification time
        /// and renamed; returns what was done. The data is made durable by <see cref="Complete"/>.
        /// </summary>
        public IReadOnlyList<OsvFile> Apply(Placement placement)
        {
            project.SweepTemporaries();
            foreach (var (file, target) in placement.Files)
            {
                if (!decided.TryGetValue(target, out var decision))
                {
                    continue;
                }
                if (file.Action == FileAction.Unchanged || decision.Action == FileAction.Unchanged)
                {
                    if (staleTimes.Remove(target))
                    {
                        project.SetModifiedTime(target, decision.Status.ModifiedUtc);
                    }
                    continue;
                }
                try
                {
                    project.WriteFile(target, output =>
                    {
                        using (var input = new FileStream(file.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
                        {
                            UnixFile.Copy(input, output, input.Length);
                        }
                    }, durable: false, modifiedUtc: decision.Status.ModifiedUtc);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot copy '{file.SourcePath}' to '{target}': {e.Message}", file.SourcePath, e);
                }
                written.Add(target);
                // A later input that needs the same file finds it in place.
                decided[target] = (decision.Source, decision.Status, FileAction.Unchanged);
            }
            return placement.Planned.ToList();
        }

        /// <summary>Makes everything this placer wrote durable, in one sync of the project's file system.</summary>
        public void Complete()
        {
            project.SyncAll(written);
            written.Clear();
        }

        private static bool SameContent(string a, string b)
        {
            using (var sa = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
            using (var sb = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
            {
                if (sa.Length != sb.Length)
                {
                    return false;
                }
                var ba = new byte[1 << 16];
                var bb = new byte[1 << 16];
                while (true)
                {
                    int na = Disk.DiskFormats.ReadFully(sa, ba, 0, ba.Length);
                    int nb = Disk.DiskFormats.ReadFully(sb, bb, 0, bb.Length);
                    if (na != nb)
                    {
                        return false;
                    }
                    if (na == 0)
                    {
                        return true;
                    }
                    for (int i = 0; i < na; i++)
                    {
                        if (ba[i] != bb[i])
                        {
                            return false;
                        }
                    }
                }
            }
        }
    }
}
