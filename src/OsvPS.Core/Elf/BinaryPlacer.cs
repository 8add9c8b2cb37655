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
        /// <summary>Where the input goes in the guest (default: <c>/&lt;name&gt;</c> for programs, <c>/usr/lib/&lt;soname&gt;</c> for libraries).</summary>
        public string? GuestPath { get; set; }
        public bool NoDependencies { get; set; }
        /// <summary>Replace a different file already at a guest path.</summary>
        public bool Force { get; set; }
        /// <summary>Place what was found even when some libraries are missing.</summary>
        public bool SkipMissing { get; set; }
    }

    /// <summary>A checked placement: the files and what each would do, nothing written yet.</summary>
    public sealed class Placement
    {
        internal Placement(string input, ElfFile elf, IReadOnlyList<(OsvFile File, string Target)> files, IReadOnlyList<string> warnings)
        {
            Input = input;
            Elf = elf;
            Files = files;
            Warnings = warnings;
        }

        public string Input { get; }
        public ElfFile Elf { get; }
        internal IReadOnlyList<(OsvFile File, string Target)> Files { get; }
        public IEnumerable<OsvFile> Planned => Files.Select(f => f.File);
        /// <summary>What the user should hear (static executables, unusual interpreters, skipped missing libraries).</summary>
        public IReadOnlyList<string> Warnings { get; }
    }

    /// <summary>Copies programs and the libraries they need into a project at the guest paths OSv expects.</summary>
    public sealed class BinaryPlacer
    {
        private readonly DependencyResolver resolver;
        private readonly string projectPath;

        public BinaryPlacer(DependencyResolver resolver, string projectPath)
        {
            this.resolver = resolver;
            this.projectPath = Path.GetFullPath(projectPath);
        }

        public Placement Plan(string input, PlacementOptions options)
        {
            string full = Path.GetFullPath(input);
            var elf = resolver.Read(full);
            if (!elf.IsX8664)
            {
                throw new OsvException(ErrorIds.ElfArchitectureNotSupported, OsvErrorKind.InvalidData,
                    $"'{full}' is a {(elf.Is64Bit ? 64 : 32)}-bit {ElfFile.MachineName(elf.Machine)} ELF file; OSv runs 64-bit x86-64 programs only.", full);
            }
            var warnings = new List<string>();
            if (elf.Kind == ElfKind.StaticExecutable)
            {
                warnings.Add($"'{full}' is a static executable; OSv cannot run it. Build it as a position-independent executable (gcc -fPIE -pie).");
            }
            else if (elf.Kind == ElfKind.Other)
            {
                warnings.Add($"'{full}' is neither a program nor a shared library; OSv will not run it.");
            }
            if (elf.Interpreter != null && elf.Interpreter != ElfFile.StandardInterpreter)
            {
                warnings.Add($"'{full}' asks for the interpreter '{elf.Interpreter}', not the standard x86-64 loader; OSv uses its own loader regardless.");
            }

            bool isLibrary = elf.Kind == ElfKind.SharedLibrary;
            string guest = options.GuestPath ?? (isLibrary ? "/usr/lib/" + (elf.Soname ?? Path.GetFileName(full)) : "/" + Path.GetFileName(full));
            var files = new List<(OsvFile, string)> { Describe(guest, full, elf, new string[0], options.Force) };
            if (!options.NoDependencies)
            {
                var tree = resolver.Resolve(full);
                var missing = tree.Missing.ToList();
                if (missing.Count > 0)
                {
                    string list = string.Join("; ", missing.Select(m => $"{m.Name} (needed by {string.Join(", ", m.RequiredBy)})"));
                    if (!options.SkipMissing)
                    {
                        throw new OsvException(ErrorIds.SharedLibraryNotFound, OsvErrorKind.ObjectNotFound,
                            $"'{full}' needs libraries that cannot be found: {list}. Nothing was copied for it; add their folder with -LibraryPath, or use -SkipMissing.", full);
                    }
                    warnings.Add($"'{full}': these libraries were not found and are not in the project: {list}.");
                }
                foreach (var library in tree.ToCopy)
                {
                    files.Add(Describe("/usr/lib/" + library.Name, library.Path!, library.Elf!, library.RequiredBy.ToArray(), options.Force));
                }
            }
            return new Placement(full, elf, files, warnings);
        }

        private (OsvFile, string) Describe(string guest, string source, ElfFile elf, string[] requiredBy, bool force)
        {
            string target = GuestTarget(guest);
            long size = ContentLength(source);
            FileAction action = FileAction.Added;
            if (File.Exists(target) || Directory.Exists(target))
            {
                if (Directory.Exists(target))
                {
                    throw new OsvException("GuestPathConflict", OsvErrorKind.ResourceExists, $"'{guest}' is a folder in the project; it cannot receive '{source}'.", guest);
                }
                if (SameContent(source, target))
                {
                    action = FileAction.Unchanged;
                }
                else if (force)
                {
                    action = FileAction.Replaced;
                }
                else
                {
                    throw new OsvException("GuestPathConflict", OsvErrorKind.ResourceExists,
                        $"'{guest}' in the project ({target}) holds a different file than '{source}'; use -Force to replace it.", guest);
                }
            }
            return (new OsvFile(guest, source, elf.Kind.ToString(), elf.Needed.ToArray(), requiredBy, size, action, projectPath), target);
        }

        /// <summary>The project file of a guest path; an error when the path would leave the project.</summary>
        public string GuestTarget(string guest)
        {
            if (!guest.StartsWith("/", StringComparison.Ordinal))
            {
                guest = "/" + guest;
            }
            var parts = guest.Split('/').Where(p => p.Length > 0).ToList();
            if (parts.Count == 0 || parts.Any(p => p == ".." || p == ".") || parts[0] == "meta")
            {
                throw new OsvException("GuestPathInvalid", OsvErrorKind.InvalidArgument,
                    $"'{guest}' is not a guest path inside the project (it must name a file, without '..', outside /meta).", guest);
            }
            return Path.Combine(projectPath, Path.Combine(parts.ToArray()));
        }

        /// <summary>Copies the planned files (each written beside its target and renamed); returns what was done.</summary>
        public IReadOnlyList<OsvFile> Apply(Placement placement)
        {
            foreach (var (file, target) in placement.Files)
            {
                if (file.Action == FileAction.Unchanged)
                {
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    AtomicFile.Write(target, output =>
                    {
                        using (var input = new FileStream(file.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                        {
                            input.CopyTo(output, 1 << 20);
                        }
                    });
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot copy '{file.SourcePath}' to '{target}': {e.Message}", file.SourcePath, e);
                }
            }
            return placement.Planned.ToList();
        }

        // Libraries are mostly symlinks (libz.so.1 -> libz.so.1.2.13): what counts is the content they lead to.
        private static long ContentLength(string path)
        {
            using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
            {
                return s.Length;
            }
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
