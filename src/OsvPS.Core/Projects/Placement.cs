using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Models;

namespace OsvPS.Core.Projects
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
        /// <summary>
        /// Library names placed by the caller itself (a Debian package's own libraries in a private folder, such as
        /// libjvm.so in the JVM's lib/server, which its program opens by path): not missing, and not copied again.
        /// </summary>
        public System.Func<string, bool>? PlacedElsewhere { get; set; }
        /// <summary>Compare content with the project's copy even when size and modification time agree.</summary>
        public bool Checksum { get; set; }
    }

    /// <summary>A checked placement: the files and what each would do (the project writer's entries), nothing written yet.</summary>
    public sealed class Placement
    {
        internal Placement(string input, ElfFile elf, IReadOnlyList<(OsvFile File, ProjectEntry Entry)> files, IReadOnlyList<string> warnings, bool refreshesTimes,
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
        internal IReadOnlyList<(OsvFile File, ProjectEntry Entry)> Files { get; }
        public IEnumerable<OsvFile> Planned => Files.Select(f => f.File);
        /// <summary>What the user should hear (static executables, unusual interpreters, skipped missing libraries).</summary>
        public IReadOnlyList<string> Warnings { get; }
    }
}
