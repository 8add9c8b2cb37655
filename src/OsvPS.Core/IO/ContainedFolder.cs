using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// A folder OsvPS writes into (a project, the repository), and the only way it writes there. The root
    /// is opened once; every write walks from it one name at a time without following a link, creates a
    /// temporary beside its target, checks that the folder it wrote in still lies inside the root, and
    /// renames. A folder on the way that is (or becomes) a symbolic link stops the write with
    /// <see cref="ErrorIds.FolderIsSymbolicLink"/>, so a path checked once can never be resolved again
    /// to somewhere else. Paths are full paths under <see cref="Root"/> or relative to it.
    /// Elsewhere than on Linux the same checks are made on the paths, without that guarantee.
    /// Not thread-safe; one instance per call.
    /// </summary>
    public sealed class ContainedFolder : IDisposable
    {
        private static readonly bool IsLinux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        private readonly bool rootMayBeLink;
        private FolderHandle? root;
        private UnixFileStatus? rootStatus;
        private bool swept;

        /// <param name="root">The folder; created when missing.</param>
        /// <param name="rootMayBeLink">True for a root a user may have linked elsewhere (the repository); a project's root may not be a link.</param>
        public ContainedFolder(string root, bool rootMayBeLink = false)
        {
            string full = Path.GetFullPath(root).TrimEnd('/', '\\');
            Root = full.Length == 0 ? "/" : full;
            this.rootMayBeLink = rootMayBeLink;
        }

        public string Root { get; }

        /// <summary>
        /// Refuses <paramref name="root"/>, or any of its folders <paramref name="inside"/> (e.g. <c>meta</c>),
        /// that is a symbolic link, with <see cref="ErrorIds.FolderIsSymbolicLink"/>; what does not exist passes.
        /// Returns true (to be used in conditions).
        /// </summary>
        public static bool RefuseLinks(string root, params string[] inside)
        {
            string full = Path.GetFullPath(root).TrimEnd('/', '\\');
            foreach (string path in new[] { full }.Concat(inside.Select(p => Path.Combine(full, p))))
            {
                if (IsLink(path))
                {
                    throw LinkRefused(path);
                }
            }
            return true;
        }

        private static bool IsLink(string path)
            => IsLinux ? UnixFile.Stat(path, noFollow: true)?.Type == UnixFileType.SymbolicLink
                : (File.Exists(path) || Directory.Exists(path)) && SymbolicLink.IsLink(new FileInfo(path));

        internal static OsvException LinkRefused(string path)
        {
            string target;
            try
            {
                target = $" (to '{SymbolicLink.ReadTarget(path)}')";
            }
            catch (Exception e) when (e is IOException || e is PlatformNotSupportedException)
            {
                target = "";
            }
            return new OsvException(ErrorIds.FolderIsSymbolicLink, OsvErrorKind.SecurityError,
                $"'{path}' is a symbolic link{target}; OsvPS reads and writes projects and the repository only through their own folders, never through a link. Name the folder itself, or replace the link with a folder.", path);
        }

        /// <summary>Writes a file through a temporary beside it (see <see cref="AtomicFile.Write"/>), creating the folders on the way.</summary>
        public void WriteFile(string path, Action<FileStream> writer, bool durable = true, DateTime? modifiedUtc = null)
        {
            var (folders, name) = Split(path);
            if (!IsLinux)
            {
                string full = FallbackPath(folders, name, create: true);
                AtomicFile.Write(full, writer, durable, modifiedUtc);
                return;
            }
            Guarded(path, () =>
            {
                using (var folder = Walk(folders, create: true))
                {
                    string temp = AtomicFile.TemporaryName(name);
                    FileStream? stream = null;
                    try
                    {
                        stream = folder.CreateLocked(temp, 1 << 16);
                        writer(stream);
                        stream.Flush(durable);
                        if (modifiedUtc.HasValue)
                        {
                            FolderHandle.SetModified(stream, modifiedUtc.Value);
                        }
                        RequireInside(folder, path);
                        // Renamed while still locked: a sweep never takes a file that is about to get its name.
                        folder.Rename(temp, name);
                        FolderHandle.Unlock(stream);
                    }
                    catch
                    {
                        stream?.Dispose();
                        TryDelete(folder, temp);
                        throw;
                    }
                    stream.Dispose();
                }
            });
        }

        public void WriteAllText(string path, string text) => WriteFile(path, s =>
        {
            byte[] bytes = Utf8NoBom.GetBytes(text);
            s.Write(bytes, 0, bytes.Length);
        });

        /// <summary>
        /// Opens <paramref name="path"/> for writing in place (a download's partial file): created when
        /// missing, emptied unless <paramref name="append"/>. The folders on the way are created. The stream is
        /// unbuffered: a write that fails (a full disk) fails at once, and disposing it never writes.
        /// </summary>
        public FileStream OpenForWriting(string path, bool append)
        {
            var (folders, name) = Split(path);
            if (!IsLinux)
            {
                return new FileStream(FallbackPath(folders, name, create: true), append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1);
            }
            return Guarded(path, () =>
            {
                using (var folder = Walk(folders, create: true))
                {
                    RequireInside(folder, path);
                    return folder.OpenWritable(name, append, 1);
                }
            });
        }

        /// <summary>Creates the folder <paramref name="path"/> and those on the way to it; one that is a link is refused.</summary>
        public void CreateFolder(string path)
        {
            var (folders, name) = Split(path);
            var all = folders.Concat(new[] { name }).ToArray();
            if (!IsLinux)
            {
                Directory.CreateDirectory(FallbackPath(all, ".", create: true));
                return;
            }
            Guarded(path, () =>
            {
                using (Walk(all, create: true))
                {
                }
            });
        }

        /// <summary>Sets the modification time of the file <paramref name="path"/>.</summary>
        public void SetModifiedTime(string path, DateTime utc)
        {
            var (folders, name) = Split(path);
            if (!IsLinux)
            {
                File.SetLastWriteTimeUtc(FallbackPath(folders, name, create: false), utc);
                return;
            }
            Guarded(path, () =>
            {
                using (var folder = Walk(folders, create: false))
                {
                    folder.SetModified(name, utc);
                }
            });
        }

        /// <summary>
        /// Makes <paramref name="path"/> a symbolic link to <paramref name="target"/> (kept as written), under a temporary
        /// name renamed over what is there: never half made, and never through a link on the way.
        /// </summary>
        public void WriteLink(string path, string target)
        {
            var (folders, name) = Split(path);
            if (!IsLinux)
            {
                throw new PlatformNotSupportedException("symbolic links in a project are made on Linux only.");
            }
            Guarded(path, () =>
            {
                using (var folder = Walk(folders, create: true))
                {
                    string temp = AtomicFile.TemporaryName(name);
                    folder.CreateLink(temp, target);
                    try
                    {
                        RequireInside(folder, path);
                        folder.Rename(temp, name);
                    }
                    catch
                    {
                        TryDelete(folder, temp);
                        throw;
                    }
                }
            });
        }

        /// <summary>Renames <paramref name="from"/> to <paramref name="to"/> (both in the same folder), replacing what is there.</summary>
        public void Move(string from, string to)
        {
            var (folders, fromName) = Split(from);
            var (toFolders, toName) = Split(to);
            if (!folders.SequenceEqual(toFolders))
            {
                throw new ArgumentException($"'{from}' and '{to}' are not in the same folder.");
            }
            if (!IsLinux)
            {
                AtomicFile.Commit(FallbackPath(folders, fromName, create: false), FallbackPath(folders, toName, create: false));
                return;
            }
            Guarded(to, () =>
            {
                using (var folder = Walk(folders, create: false))
                {
                    RequireInside(folder, to);
                    folder.Rename(fromName, toName);
                }
            });
        }

        /// <summary>Deletes the file <paramref name="path"/> if it is there (a link is deleted, not followed).</summary>
        public void Delete(string path)
        {
            var (folders, name) = Split(path);
            if (!IsLinux)
            {
                AtomicFile.TryDelete(FallbackPath(folders, name, create: false));
                return;
            }
            Guarded(path, () =>
            {
                try
                {
                    using (var folder = Walk(folders, create: false))
                    {
                        folder.Delete(name);
                    }
                }
                catch (IOException e) when (e.HResult == 2 || e.HResult == 20)
                {
                    // The folder is not there: neither is the file.
                }
            });
        }

        /// <summary>Deletes the folder <paramref name="path"/> when it is empty; a link is never followed.</summary>
        public void DeleteEmptyFolder(string path)
        {
            var (folders, name) = Split(path);
            if (!IsLinux)
            {
                string full = FallbackPath(folders, name, create: false);
                if (Directory.Exists(full) && !Directory.EnumerateFileSystemEntries(full).Any())
                {
                    Directory.Delete(full);
                }
                return;
            }
            try
            {
                using (var folder = Walk(folders, create: false))
                {
                    if (folder.Stat(name)?.Type == UnixFileType.Directory)
                    {
                        folder.DeleteEmptyFolder(name);
                    }
                }
            }
            catch (IOException)
            {
                // Not there, or a link on the way: nothing of ours to delete.
            }
        }

        /// <summary>
        /// Deletes the temporaries (<see cref="AtomicFile.IsTemporaryName"/>) that dead writers left anywhere
        /// under the root: a temporary whose lock no live process holds. Links are not entered, nor <c>.git</c>.
        /// Returns how many were deleted. The first call on an instance sweeps; later ones do nothing. Only
        /// on Linux (elsewhere there is no lock to tell a live writer by).
        /// </summary>
        public int SweepTemporaries()
        {
            if (swept || !IsLinux || !Directory.Exists(Root))
            {
                return 0;
            }
            swept = true;
            return Guarded(Root, () => TemporarySweep.Run(OpenRoot()));
        }

        private (string[] Folders, string Name) Split(string path)
        {
            string relative = path;
            if (Path.IsPathRooted(path))
            {
                string full = Path.GetFullPath(path);
                string prefix = Root == "/" ? "/" : Root + "/";
                if (!full.StartsWith(prefix, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"'{path}' is not inside '{Root}'.", nameof(path));
                }
                relative = full.Substring(prefix.Length);
            }
            var parts = relative.Split('/').Where(p => p.Length > 0).ToArray();
            if (parts.Length == 0 || parts.Any(p => p == "." || p == ".."))
            {
                throw new ArgumentException($"'{path}' does not name a file inside '{Root}'.", nameof(path));
            }
            return (parts.Take(parts.Length - 1).ToArray(), parts[parts.Length - 1]);
        }

        private FolderHandle OpenRoot()
        {
            if (root == null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Root) ?? "/");
                try
                {
                    Directory.CreateDirectory(Root);
                }
                catch (IOException) when (IsLink(Root))
                {
                    // A dangling link: the open below says so.
                }
                root = FolderHandle.OpenPath(Root, rootMayBeLink);
                rootStatus = root.Self();
            }
            return root;
        }

        // The folder of a write, opened from the root one name at a time; the caller disposes it.
        private FolderHandle Walk(string[] folders, bool create)
        {
            var current = OpenRoot();
            bool own = false;
            foreach (string name in folders)
            {
                var next = current.OpenChild(name, create);
                if (own)
                {
                    current.Dispose();
                }
                current = next;
                own = true;
            }
            // The root stays open for the next write; hand back a handle of its own.
            return own ? current : current.OpenChild(".", create: false);
        }

        private void RequireInside(FolderHandle folder, string path)
        {
            if (!folder.IsInside(rootStatus!))
            {
                throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.SecurityError,
                    $"the folder of '{path}' was moved out of '{Root}' while it was written; nothing was written there.", path);
            }
        }

        private string FallbackPath(string[] folders, string name, bool create)
        {
            if (!rootMayBeLink)
            {
                RefuseLinks(Root);
            }
            string current = Root;
            foreach (string part in folders)
            {
                current = Path.Combine(current, part);
                if (IsLink(current))
                {
                    throw LinkRefused(current);
                }
                if (create)
                {
                    Directory.CreateDirectory(current);
                }
            }
            return Path.Combine(current, name);
        }

        private static void TryDelete(FolderHandle folder, string name)
        {
            try
            {
                folder.Delete(name);
            }
            catch (IOException)
            {
            }
        }

        private void Guarded(string path, Action action) => Guarded(path, () =>
        {
            action();
            return 0;
        });

        // The errors of the walk as OsvPS errors: a link met on the way, or the system's reason.
        private T Guarded<T>(string path, Func<T> action)
        {
            try
            {
                return action();
            }
            catch (LinkFoundException e)
            {
                throw LinkRefused(e.Name);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot write '{path}': {e.Message}", path, e);
            }
        }

        /// <summary>
        /// Makes <paramref name="files"/> (written with <c>durable: false</c>) durable with one flush of the
        /// root's file system, then closes the root (the next write opens it again).
        /// </summary>
        public void SyncAll(IReadOnlyCollection<string> files)
        {
            if (files.Count > 0)
            {
                if (IsLinux)
                {
                    Guarded(Root, () => FolderHandle.SyncFileSystem(OpenRoot()));
                }
                else
                {
                    UnixFile.SyncAll(files);
                }
            }
            Dispose();
        }

        /// <summary>Closes the root; the next write opens it again.</summary>
        public void Dispose()
        {
            root?.Dispose();
            root = null;
        }
    }
}
