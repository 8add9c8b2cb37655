using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Projects
{
    /// <summary>
    /// Copies programs and the libraries they need into a project at the guest paths OSv expects: it
    /// reads the ELF files and chooses the guest paths; its <see cref="ProjectWriter"/> decides each one
    /// (once per call however many inputs need it) and writes it. One placer serves one call, and the
    /// data written reaches the disk in one sync at the end (<see cref="Complete"/>).
    /// </summary>
    public sealed class BinaryPlacer
    {
        private readonly DependencyResolver resolver;
        private readonly DependencyResolver? linuxResolver;
        private readonly ProjectWriter writer;

        /// <param name="resolver">The search for OSv's linker.</param>
        /// <param name="projectPath">The project folder.</param>
        /// <param name="linuxResolver">The search for Linux's linker (every library carried), for <see cref="PlacementOptions.LinuxLinker"/>.</param>
        public BinaryPlacer(DependencyResolver resolver, string projectPath, DependencyResolver? linuxResolver = null)
        {
            this.resolver = resolver;
            this.linuxResolver = linuxResolver;
            writer = new ProjectWriter(projectPath);
        }

        /// <summary>The project's one writer, which decides and writes every file placed in it (the Debian carrier's too).</summary>
        internal ProjectWriter Writer => writer;

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
            var files = new List<(OsvFile, ProjectEntry)> { Describe(guest, full, elf, new string[0], options) };
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
            return new Placement(full, elf, files, warnings, files.Any(f => writer.RefreshesTime(f.Item2.Target)), program, boot);
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
            var missing = tree.Missing.Where(m => options.PlacedElsewhere == null || !options.PlacedElsewhere(m.Name)).ToList();
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
        private string? PlanLinux(string full, ElfFile elf, string guest, bool program, List<(OsvFile, ProjectEntry)> files, List<string> warnings, PlacementOptions options)
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

        private (OsvFile, ProjectEntry) Describe(string guest, string source, ElfFile elf, string[] requiredBy, PlacementOptions options)
        {
            var status = UnixFile.RequireRegular(source, ErrorIds.BinaryNotFound, ErrorIds.BinaryNotAFile);
            var entry = writer.PlanFile(guest, new HostFileContent(source, status, followLinks: true), options.Force, options.Checksum);
            return (new OsvFile(guest, source, elf.Kind.ToString(), elf.Needed.ToArray(), requiredBy, status.Size, entry.Action, writer.ProjectPath), entry);
        }

        /// <summary>
        /// Copies the planned files, each written beside its target with its source's modification time
        /// and renamed; returns what was done. The data is made durable by <see cref="Complete"/>.
        /// </summary>
        public IReadOnlyList<OsvFile> Apply(Placement placement)
        {
            foreach (var (_, entry) in placement.Files)
            {
                writer.Apply(entry);
            }
            return placement.Planned.ToList();
        }

        /// <summary>Makes everything this placer wrote durable, in one sync of the project's file system.</summary>
        public void Complete() => writer.Complete();
    }
}
