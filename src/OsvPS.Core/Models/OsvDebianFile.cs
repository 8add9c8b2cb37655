using System.Collections.Generic;
using System.Linq;
namespace OsvPS.Core.Models
{
    /// <summary>What a file carried from a Debian package is to the guest.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum DebianFileKind
    {
        /// <summary>An ELF program of the package.</summary>
        Program,
        /// <summary>An ELF shared library or plugin of the package.</summary>
        Library,
        /// <summary>A library an ELF file of the package needs, found as the glibc loader finds it.</summary>
        Dependency,
        /// <summary>A file dpkg lists among the package's conffiles.</summary>
        Configuration,
        /// <summary>Any other file of the package.</summary>
        Data,
        SymbolicLink,
    }

    /// <summary>A file Add-OsvDebianPackage carried (or would carry) into a project, with the package it came from.</summary>
    public sealed class OsvDebianFile
    {
        public OsvDebianFile(string? package, DebianFileKind kind, string guestPath, string sourcePath, long size, FileAction action,
            string? linkTarget, IEnumerable<string> requiredBy, string projectPath, string? bootCommand = null)
        {
            BootCommand = bootCommand;
            Package = package;
            Kind = kind;
            GuestPath = guestPath;
            SourcePath = sourcePath;
            Size = size;
            Action = action;
            LinkTarget = linkTarget;
            RequiredBy = TextList.Of(requiredBy);
            Path = System.IO.Path.Combine(projectPath, guestPath.TrimStart('/'));
        }

        /// <summary>The Debian package the file belongs to; null for a dependency no installed package owns.</summary>
        public string? Package { get; }
        public DebianFileKind Kind { get; }
        /// <summary>Where the guest sees it: the package's own path, or <c>/usr/lib/&lt;soname&gt;</c> for a library the loader finds by name.</summary>
        public string GuestPath { get; }
        /// <summary>The host file (under -Root, the file in that root).</summary>
        public string SourcePath { get; }
        public long Size { get; }
        public FileAction Action { get; }
        /// <summary>For a symbolic link, its target as the guest reads it.</summary>
        public string? LinkTarget { get; }
        /// <summary>For a dependency, the host files that need it.</summary>
        public TextList RequiredBy { get; }
        /// <summary>The file in the project folder.</summary>
        public string Path { get; }
        /// <summary>
        /// For a program, the command that starts it in the guest: its path on OSv's linker, or
        /// <c>/lib64/ld-linux-x86-64.so.2 /usr/bin/x</c> with -LinuxLinker; null for other files.
        /// </summary>
        public string? BootCommand { get; }

        public override string ToString() => GuestPath;
    }
}
