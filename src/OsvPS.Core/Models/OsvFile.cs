using System.Collections.Generic;
using System.Linq;
namespace OsvPS.Core.Models
{
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum FileAction
    {
        Added,
        Unchanged,
        Replaced,
    }

    /// <summary>A file Add-OsvBinary placed (or would place) in a project.</summary>
    public sealed class OsvFile
    {
        public OsvFile(string guestPath, string sourcePath, string kind, IEnumerable<string> needed, IEnumerable<string> requiredBy, long size, FileAction action, string projectPath,
            string? bootCommand = null)
        {
            BootCommand = bootCommand;
            this.projectPath = projectPath;
            GuestPath = guestPath;
            SourcePath = sourcePath;
            Kind = kind;
            Needed = TextList.Of(needed);
            RequiredBy = TextList.Of(requiredBy);
            Size = size;
            Action = action;
            Path = System.IO.Path.Combine(projectPath, guestPath.TrimStart('/'));
        }

        /// <summary>Where the guest sees it, e.g. <c>/usr/lib/libz.so.1</c>.</summary>
        public string GuestPath { get; }
        /// <summary>The host file it was copied from.</summary>
        public string SourcePath { get; }
        /// <summary>PositionIndependentExecutable, SharedLibrary, DynamicExecutable, ...</summary>
        public string Kind { get; }
        /// <summary>Its DT_NEEDED names.</summary>
        public TextList Needed { get; }
        /// <summary>The host files that need it (empty for an input).</summary>
        public TextList RequiredBy { get; }
        public long Size { get; }
        public FileAction Action { get; }
        /// <summary>The file in the project folder.</summary>
        public string Path { get; }
        /// <summary>
        /// For a program input, the command that starts it as placed, to put first in a config set's bootcmd: its guest
        /// path, or Linux's dynamic linker and then its guest path when it was added with -LinuxLinker
        /// (e.g. <c>/lib64/ld-linux-x86-64.so.2 /busybox</c>); null for libraries.
        /// </summary>
        public string? BootCommand { get; }

        /// <summary>This file with <paramref name="bootCommand"/>.</summary>
        public OsvFile WithBootCommand(string? bootCommand)
            => new OsvFile(GuestPath, SourcePath, Kind, Needed, RequiredBy, Size, Action, projectPath, bootCommand);

        private readonly string projectPath;

        public override string ToString() => GuestPath;
    }

    /// <summary>One library of an ELF file's tree, with where it came from and why.</summary>
    public sealed class OsvDependency
    {
        public OsvDependency(string name, string? path, string via, string? searchedIn, string[] requiredBy)
        {
            Name = name;
            Path = path;
            Via = via;
            SearchedIn = searchedIn;
            RequiredBy = TextList.Of(requiredBy);
        }

        public string Name { get; }
        public string? Path { get; }
        /// <summary>RPath, RunPath, LdLibraryPath, Cache, DefaultPath, Path, Provided or Missing.</summary>
        public string Via { get; }
        public string? SearchedIn { get; }
        public TextList RequiredBy { get; }

        public override string ToString() => Name;
    }

    /// <summary>What Get-OsvElfInfo reports of an ELF file.</summary>
    public sealed class OsvElfInfo
    {
        public OsvElfInfo(string path, string kind, string architecture, string? interpreter, string? soname, string[] needed,
            string[] rPath, string[] runPath, bool runsOnOsv, OsvDependency[] dependencies)
        {
            Path = path;
            Kind = kind;
            Architecture = architecture;
            Interpreter = interpreter;
            Soname = soname;
            Needed = TextList.Of(needed);
            RPath = TextList.Of(rPath);
            RunPath = TextList.Of(runPath);
            RunsOnOsv = runsOnOsv;
            Dependencies = new ReadableList<OsvDependency>(dependencies);
        }

        public string Path { get; }
        public string Kind { get; }
        public string Architecture { get; }
        public string? Interpreter { get; }
        public string? Soname { get; }
        public TextList Needed { get; }
        public TextList RPath { get; }
        public TextList RunPath { get; }
        public bool RunsOnOsv { get; }
        public ReadableList<OsvDependency> Dependencies { get; }
        /// <summary>The libraries that could not be found.</summary>
        public TextList Missing => TextList.Of(Dependencies.Where(d => d.Via == "Missing").Select(d => d.Name));

        public override string ToString() => Path;
    }
}
