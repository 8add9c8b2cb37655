using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Projects
{
    /// <summary>
    /// The one way files, links and folders get into a project (Add-OsvBinary, Add-OsvDebianPackage, and the
    /// inputs to come). A call plans first: each guest path is checked (inside the project, outside /meta and
    /// the folders OSv mounts over, through none of the project's links), compared with what the project
    /// holds and with what the call already put there, and decided once (added, unchanged, or replaced when
    /// forced); nothing is written. Applying the plan then writes through the project's
    /// <see cref="ContainedFolder"/>, each file beside its target and renamed, keeping its source's
    /// modification time (equal size and time mean unchanged, as rsync decides by default); one sync at the
    /// end (<see cref="Complete"/>) makes it durable. One writer serves one call; not thread-safe.
    /// </summary>
    internal sealed class ProjectWriter
    {
        // The folders OSv's fstab mounts over at boot (static/etc/fstab_rofs: devfs, procfs, sysfs, ramfs on /tmp).
        private static readonly HashSet<string> OsvMountPoints = new HashSet<string>(StringComparer.Ordinal) { "tmp", "dev", "proc", "sys" };

        private readonly ContainedFolder folder;
        // Project path -> what this call puts there.
        private readonly Dictionary<string, ProjectDecision> decided = new Dictionary<string, ProjectDecision>(StringComparer.Ordinal);
        // Project paths that this call's entries need as folders (the folders on their way).
        private readonly HashSet<string> folders = new HashSet<string>(StringComparer.Ordinal);
        // Project files with the right content but not their source's time (copied before copies kept it).
        private readonly HashSet<string> staleTimes = new HashSet<string>(StringComparer.Ordinal);
        private readonly List<string> written = new List<string>();

        public ProjectWriter(string projectPath)
        {
            ProjectPath = Path.GetFullPath(projectPath);
            folder = new ContainedFolder(ProjectPath);
        }

        public string ProjectPath { get; }

        /// <summary>True when <paramref name="target"/> holds the right content and only needs its modification time set.</summary>
        public bool RefreshesTime(string target) => staleTimes.Contains(target);

        /// <summary>The project file of a guest path; an error when the path would leave the project or go through one of its links.</summary>
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
            // A folder of the project that is a symbolic link (now, or by this call's plan) would carry the write
            // outside it. The write checks again, one name at a time; this tells the user before anything is written.
            string current = ProjectPath;
            foreach (string part in parts.Take(parts.Count - 1))
            {
                current = Path.Combine(current, part);
                bool planned = decided.TryGetValue(current, out var there) && there.Kind == ProjectEntryKind.Link;
                if (planned || UnixFile.Stat(current, noFollow: true)?.Type == UnixFileType.SymbolicLink)
                {
                    throw new OsvException(ErrorIds.GuestPathInvalid, OsvErrorKind.InvalidArgument,
                        $"'{guest}' goes through '{current}', a symbolic link in the project; OsvPS writes only into the project's own folders.", guest);
                }
                if (there != null && there.Kind == ProjectEntryKind.File)
                {
                    throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists,
                        $"'{guest}' lies under '{current}', where this call puts a file; it cannot be both a file and a folder.", guest);
                }
            }
            return Path.Combine(current, parts[parts.Count - 1]);
        }

        /// <summary>Plans the file <paramref name="content"/> at <paramref name="guest"/>; <paramref name="checksum"/> compares bytes even when size and time agree.</summary>
        public ProjectEntry PlanFile(string guest, ProjectContent content, bool force, bool checksum = false)
        {
            string target = GuestTarget(guest);
            if (decided.TryGetValue(target, out var earlier))
            {
                // Already decided in this call: the same file again costs nothing.
                bool same = earlier.Kind == ProjectEntryKind.File && SameSource(earlier.Content!, content);
                return same ? Entry(guest, target, content.Origin, earlier)
                    : Record(guest, target, content.Origin, new ProjectDecision(ProjectEntryKind.File, content, null,
                        Conflict(guest, target, content.Origin, earlier.Kind == ProjectEntryKind.File, force)));
            }
            return Record(guest, target, content.Origin, new ProjectDecision(ProjectEntryKind.File, content, null, DecideFile(guest, target, content, force, checksum)));
        }

        /// <summary>Plans a symbolic link at <paramref name="guest"/> holding <paramref name="linkTarget"/> as written; <paramref name="origin"/> is where it comes from.</summary>
        public ProjectEntry PlanLink(string guest, string linkTarget, string origin, bool force)
        {
            string target = GuestTarget(guest);
            ProjectDecision decision;
            if (decided.TryGetValue(target, out var earlier))
            {
                if (earlier.Kind == ProjectEntryKind.Link && earlier.LinkTarget == linkTarget)
                {
                    return Entry(guest, target, origin, earlier);
                }
                decision = new ProjectDecision(ProjectEntryKind.Link, null, linkTarget, Conflict(guest, target, origin, false, force));
            }
            else
            {
                var existing = Existing(guest, target, origin);
                var action = existing == null ? FileAction.Added
                    : existing.Type == UnixFileType.SymbolicLink && ReadLink(target) == linkTarget ? FileAction.Unchanged
                    : Conflict(guest, target, origin, false, force);
                decision = new ProjectDecision(ProjectEntryKind.Link, null, linkTarget, action);
            }
            return Record(guest, target, origin, decision);
        }

        /// <summary>Plans the folder <paramref name="guest"/> (a layer's folder entry): one that is there is unchanged; a file or link there is replaced only when forced.</summary>
        public ProjectEntry PlanFolder(string guest, string origin, bool force)
        {
            string target = GuestTarget(guest);
            if (decided.TryGetValue(target, out var earlier))
            {
                if (earlier.Kind == ProjectEntryKind.Folder)
                {
                    return Entry(guest, target, origin, earlier);
                }
                return Record(guest, target, origin, new ProjectDecision(ProjectEntryKind.Folder, null, null, Conflict(guest, target, origin, false, force)));
            }
            var existing = UnixFile.Stat(target, noFollow: true);
            var action = existing == null ? FileAction.Added
                : existing.Type == UnixFileType.Directory ? FileAction.Unchanged
                : Conflict(guest, target, origin, false, force);
            return Record(guest, target, origin, new ProjectDecision(ProjectEntryKind.Folder, null, null, action));
        }

        // What the project holds at the target, refused when it is a folder (or one this call needs) and cannot take a file or a link.
        private UnixFileStatus? Existing(string guest, string target, string origin)
        {
            var existing = UnixFile.Stat(target, noFollow: true);
            if (existing?.Type == UnixFileType.Directory)
            {
                throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists, $"'{guest}' is a folder in the project; it cannot receive '{origin}'.", guest);
            }
            if (folders.Contains(target))
            {
                throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists, $"'{guest}' is a folder this call puts files in; it cannot receive '{origin}'.", guest);
            }
            return existing;
        }

        private FileAction DecideFile(string guest, string target, ProjectContent content, bool force, bool checksum)
        {
            var existing = Existing(guest, target, content.Origin);
            if (existing == null)
            {
                return FileAction.Added;
            }
            if (existing.Type != UnixFileType.Regular)
            {
                // A link (even to the same bytes), a FIFO or a device is not the file: never read through, never taken for it.
                return Conflict(guest, target, content.Origin, false, force);
            }
            // Equal size and time mean unchanged; content is read only when asked, or when the times
            // differ (a copy made before copies kept their source's time).
            bool sameTime = existing.ModifiedTicks == content.ModifiedTicks;
            bool same = existing.Size == content.Size && (checksum || !sameTime ? SameBytes(content, () => UnixFile.OpenPlanned(target, existing)) : true);
            if (!same)
            {
                return Conflict(guest, target, content.Origin, true, force);
            }
            if (!sameTime)
            {
                staleTimes.Add(target);
            }
            return FileAction.Unchanged;
        }

        private ProjectEntry Record(string guest, string target, string origin, ProjectDecision decision)
        {
            decided[target] = decision;
            for (string? above = Path.GetDirectoryName(target); above != null && above.Length > ProjectPath.Length; above = Path.GetDirectoryName(above))
            {
                folders.Add(above);
            }
            return Entry(guest, target, origin, decision);
        }

        // An entry of a decision already written (by an earlier placement of this call) finds it in place.
        private static ProjectEntry Entry(string guest, string target, string origin, ProjectDecision decision)
            => new ProjectEntry(guest, target, decision.Kind, origin, decision.Content, decision.LinkTarget, decision.Written ? FileAction.Unchanged : decision.Action, decision);

        private static FileAction Conflict(string guest, string target, string origin, bool fileAgainstFile, bool force)
            => force ? FileAction.Replaced : throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists,
                fileAgainstFile ? $"'{guest}' in the project ({target}) holds a different file than '{origin}'; use -Force to replace it."
                    : $"'{guest}' in the project ({target}) holds something else than '{origin}'; use -Force to replace it.", guest);

        // The same source twice in one call: the very same file, or one of the same size, time and bytes.
        private static bool SameSource(ProjectContent a, ProjectContent b)
            => a.IsSameFileAs(b) || a.Size == b.Size && a.ModifiedTicks == b.ModifiedTicks && SameBytes(a, b.Open);

        private static bool SameBytes(ProjectContent content, Func<Stream> other)
        {
            using (var sa = content.Open())
            using (var sb = other())
            {
                var ba = new byte[1 << 16];
                var bb = new byte[1 << 16];
                while (true)
                {
                    int na = IO.StreamReading.ReadFully(sa, ba, 0, ba.Length);
                    int nb = IO.StreamReading.ReadFully(sb, bb, 0, bb.Length);
                    if (na != nb || !ba.AsSpan(0, na).SequenceEqual(bb.AsSpan(0, nb)))
                    {
                        return false;
                    }
                    if (na == 0)
                    {
                        return true;
                    }
                }
            }
        }

        private static string? ReadLink(string path)
        {
            try
            {
                return SymbolicLink.ReadTarget(path);
            }
            catch (IOException)
            {
                return null;
            }
        }

        /// <summary>
        /// Writes what <paramref name="entry"/> decided, through the project's <see cref="ContainedFolder"/>: never
        /// through a link, never outside the project, whatever was swapped since the plan. An entry whose decision
        /// another entry already wrote is skipped. The data is made durable by <see cref="Complete"/>.
        /// </summary>
        public void Apply(ProjectEntry entry)
        {
            // What a killed run left (its temporaries, locked by no one now) goes first; the first call sweeps.
            folder.SweepTemporaries();
            var decision = entry.Decision;
            if (entry.Action == FileAction.Unchanged || decision.Written)
            {
                if (entry.Kind == ProjectEntryKind.File && staleTimes.Remove(entry.Target))
                {
                    folder.SetModifiedTime(entry.Target, entry.Content!.ModifiedUtc);
                }
                return;
            }
            try
            {
                switch (entry.Kind)
                {
                    case ProjectEntryKind.File:
                        var content = entry.Content!;
                        folder.WriteFile(entry.Target, output =>
                        {
                            using (var input = content.Open())
                            {
                                if (input is FileStream file)
                                {
                                    UnixFile.Copy(file, output, content.Size);
                                }
                                else
                                {
                                    input.CopyTo(output);
                                }
                            }
                        }, durable: false, modifiedUtc: content.ModifiedUtc);
                        written.Add(entry.Target);
                        break;
                    case ProjectEntryKind.Link:
                        folder.WriteLink(entry.Target, entry.LinkTarget!);
                        break;
                    default:
                        if (entry.Action == FileAction.Replaced)
                        {
                            folder.Delete(entry.Target);
                        }
                        folder.CreateFolder(entry.Target);
                        break;
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                string verb = entry.Kind == ProjectEntryKind.File ? $"copy '{entry.Origin}' to" : $"put '{entry.Origin}' at";
                throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot {verb} '{entry.Target}': {e.Message}", entry.Origin, e);
            }
            // A later entry that puts the same thing there finds it in place.
            decision.Written = true;
        }

        /// <summary>Makes everything this writer wrote durable, in one sync of the project's file system.</summary>
        public void Complete()
        {
            folder.SyncAll(written);
            written.Clear();
        }
    }
}
