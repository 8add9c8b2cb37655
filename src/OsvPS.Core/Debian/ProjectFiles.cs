using System;
using System.Collections.Generic;
using System.IO;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Debian
{
    /// <summary>A data file or symbolic link to put into the project, decided but not written.</summary>
    internal sealed class PlannedFile
    {
        public PlannedFile(string guest, string target, string source, UnixFileStatus? status, string? linkTarget, FileAction action)
        {
            Guest = guest;
            Target = target;
            Source = source;
            Status = status;
            LinkTarget = linkTarget;
            Action = action;
        }

        public string Guest { get; }
        /// <summary>The file in the project.</summary>
        public string Target { get; }
        public string Source { get; }
        /// <summary>The source as planned (null for a link).</summary>
        public UnixFileStatus? Status { get; }
        public string? LinkTarget { get; }
        public FileAction Action { get; }
    }

    /// <summary>
    /// Puts the files of packages that are not ELF (configuration, data, scripts) and their symbolic links
    /// into a project, decided the way <see cref="BinaryPlacer"/> decides ELF files: the placer's guest
    /// paths (so none leaves the project or goes through a link in it), equal size and time mean unchanged,
    /// a different file is an error unless forced, each write goes beside its target and is renamed, and
    /// one sync at the end makes it all durable.
    /// </summary>
    internal sealed class ProjectFiles
    {
        private readonly BinaryPlacer placer;
        private readonly ContainedFolder project;
        private readonly Dictionary<string, string> decided = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly List<string> written = new List<string>();

        /// <param name="project">The project's writer: every file and link goes through it, so a link placed earlier
        /// in the same call (a package's link climbing out) can never carry a later write outside the project.</param>
        public ProjectFiles(BinaryPlacer placer, ContainedFolder project)
        {
            this.placer = placer;
            this.project = project;
        }

        public PlannedFile PlanCopy(string guest, string source, bool force)
        {
            var status = UnixFile.RequireRegular(source, ErrorIds.BinaryNotFound, ErrorIds.BinaryNotAFile);
            string target = placer.GuestTarget(guest);
            FileAction action = Decide(guest, target, "file:" + source, source, force, existing =>
                existing.Type == UnixFileType.Regular && existing.Size == status.Size && existing.ModifiedTicks == status.ModifiedTicks);
            return new PlannedFile(guest, target, source, status, null, action);
        }

        public PlannedFile PlanLink(string guest, string source, string linkTarget, bool force)
        {
            string target = placer.GuestTarget(guest);
            FileAction action = Decide(guest, target, "link:" + linkTarget, source, force, _ => ReadLink(target) == linkTarget);
            return new PlannedFile(guest, target, source, null, linkTarget, action);
        }

        private FileAction Decide(string guest, string target, string what, string source, bool force, Func<UnixFileStatus, bool> same)
        {
            if (decided.TryGetValue(target, out var earlier))
            {
                return earlier == what ? FileAction.Unchanged : Conflict(guest, target, source, force);
            }
            decided[target] = what;
            var existing = UnixFile.Stat(target, noFollow: true);
            if (existing == null)
            {
                return FileAction.Added;
            }
            if (existing.Type == UnixFileType.Directory)
            {
                throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists, $"'{guest}' is a folder in the project; it cannot receive '{source}'.", guest);
            }
            return same(existing) ? FileAction.Unchanged : Conflict(guest, target, source, force);
        }

        private static FileAction Conflict(string guest, string target, string source, bool force)
            => force ? FileAction.Replaced : throw new OsvException(ErrorIds.GuestPathConflict, OsvErrorKind.ResourceExists,
                $"'{guest}' in the project ({target}) holds something else than '{source}'; use -Force to replace it.", guest);

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

        public void Apply(PlannedFile file)
        {
            if (file.Action == FileAction.Unchanged)
            {
                return;
            }
            // What a killed run left (its temporaries, locked by no one now) goes first; the first call sweeps.
            project.SweepTemporaries();
            try
            {
                if (file.LinkTarget != null)
                {
                    project.WriteLink(file.Target, file.LinkTarget);
                }
                else
                {
                    project.WriteFile(file.Target, output =>
                    {
                        using (var input = UnixFile.OpenPlanned(file.Source, file.Status))
                        {
                            UnixFile.Copy(input, output, input.Length);
                        }
                    }, durable: false, modifiedUtc: file.Status!.ModifiedUtc);
                    written.Add(file.Target);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot put '{file.Source}' at '{file.Target}': {e.Message}", file.Source, e);
            }
        }

        /// <summary>Makes the copied data durable, in one sync of the project's file system.</summary>
        public void Complete()
        {
            UnixFile.SyncAll(written);
            written.Clear();
        }
    }
}
