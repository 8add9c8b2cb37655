using System;
using System.IO;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Projects
{
    /// <summary>What a planned entry puts at its guest path.</summary>
    internal enum ProjectEntryKind
    {
        File,
        Link,
        Folder,
    }

    /// <summary>
    /// The bytes of a file to put into a project and where they come from: a host file today; a member of an
    /// unpacked container layer can be another kind, and goes through the same decisions and writes.
    /// </summary>
    internal abstract class ProjectContent
    {
        public abstract long Size { get; }
        /// <summary>The modification time (UTC ticks) the copy keeps, so that equal size and time mean unchanged.</summary>
        public abstract long ModifiedTicks { get; }
        /// <summary>Where the bytes come from, as the user is told (a host path).</summary>
        public abstract string Origin { get; }
        /// <summary>Opens the bytes as planned; an error when what is there now is not what was planned.</summary>
        public abstract Stream Open();

        /// <summary>True when <paramref name="other"/> is the very same file (so the bytes need not be read to know).</summary>
        public virtual bool IsSameFileAs(ProjectContent other) => ReferenceEquals(this, other);

        public DateTime ModifiedUtc => new DateTime(ModifiedTicks, DateTimeKind.Utc);
    }

    /// <summary>A regular host file, as it was when planned (a file swapped for another meanwhile is not read).</summary>
    internal sealed class HostFileContent : ProjectContent
    {
        private readonly UnixFileStatus status;
        private readonly bool followLinks;

        /// <param name="path">The file.</param>
        /// <param name="status">What it was when planned (links followed when <paramref name="followLinks"/>).</param>
        /// <param name="followLinks">True when <paramref name="path"/> may be a link to the file (an ELF input, a library found by a soname link).</param>
        public HostFileContent(string path, UnixFileStatus status, bool followLinks = false)
        {
            Path = path;
            this.status = status;
            this.followLinks = followLinks;
        }

        public string Path { get; }
        public override long Size => status.Size;
        public override long ModifiedTicks => status.ModifiedTicks;
        public override string Origin => Path;
        public override Stream Open() => UnixFile.OpenPlanned(Path, status, followLinks);

        public override bool IsSameFileAs(ProjectContent other)
            => base.IsSameFileAs(other) || other is HostFileContent host && status.Inode != 0 && host.status.Inode == status.Inode && host.status.Device == status.Device;
    }

    /// <summary>
    /// One guest path of a plan, decided and checked, nothing written yet: a file with its content, a link with its
    /// target (kept as written), or a folder.
    /// </summary>
    internal sealed class ProjectEntry
    {
        internal ProjectEntry(string guest, string target, ProjectEntryKind kind, string origin, ProjectContent? content, string? linkTarget,
            FileAction action, ProjectDecision decision)
        {
            Guest = guest;
            Target = target;
            Kind = kind;
            Origin = origin;
            Content = content;
            LinkTarget = linkTarget;
            Action = action;
            Decision = decision;
        }

        /// <summary>The path the guest sees, as given.</summary>
        public string Guest { get; }
        /// <summary>The full path in the project.</summary>
        public string Target { get; }
        public ProjectEntryKind Kind { get; }
        /// <summary>Where it comes from, as the user is told (a host path).</summary>
        public string Origin { get; }
        /// <summary>A file's bytes (null for a link or a folder).</summary>
        public ProjectContent? Content { get; }
        /// <summary>A link's target, as written.</summary>
        public string? LinkTarget { get; }
        public FileAction Action { get; }
        /// <summary>The decision for its guest path in this call, which every entry that puts the same thing there shares.</summary>
        internal ProjectDecision Decision { get; }
    }

    /// <summary>What one call puts at one guest path; written once however many entries share it.</summary>
    internal sealed class ProjectDecision
    {
        public ProjectDecision(ProjectEntryKind kind, ProjectContent? content, string? linkTarget, FileAction action)
        {
            Kind = kind;
            Content = content;
            LinkTarget = linkTarget;
            Action = action;
        }

        public ProjectEntryKind Kind { get; }
        public ProjectContent? Content { get; }
        public string? LinkTarget { get; }
        public FileAction Action { get; }
        /// <summary>True once written (a later entry sharing it finds it in place).</summary>
        public bool Written { get; set; }
    }
}
