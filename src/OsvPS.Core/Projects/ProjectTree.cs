using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Projects
{
    /// <summary>One folder, file or symbolic link of a project's tree, as an image or a package takes it.</summary>
    internal sealed class ProjectTreeEntry
    {
        internal ProjectTreeEntry(string relative, string hostPath, ProjectEntryKind kind, long size, DateTime modifiedUtc, UnixFileStatus? status, string? linkTarget)
        {
            Relative = relative;
            HostPath = hostPath;
            Kind = kind;
            Size = size;
            ModifiedUtc = modifiedUtc;
            Status = status;
            LinkTarget = linkTarget;
        }

        /// <summary>The path under the project, '/'-separated, without a leading '/' (<c>usr/lib/libz.so.1</c>).</summary>
        public string Relative { get; }
        /// <summary>The path the guest sees (<c>/usr/lib/libz.so.1</c>).</summary>
        public string Guest => "/" + Relative;
        public string HostPath { get; }
        public ProjectEntryKind Kind { get; }
        /// <summary>A file's size (0 for the others).</summary>
        public long Size { get; }
        public DateTime ModifiedUtc { get; }
        /// <summary>A file's identity when it was listed, so that what is read later is that file (null elsewhere than on Linux).</summary>
        public UnixFileStatus? Status { get; }
        /// <summary>A link's target as the guest resolves it (see <see cref="ProjectTree.GuestLinkTarget"/>).</summary>
        public string? LinkTarget { get; }
    }

    /// <summary>
    /// Walks a project's tree the one way every reader of a project does (Build-OsvImage, Export-OsvPackage):
    /// names in ordinal order, each folder before what it holds; what the ignore rules match is left out and an
    /// ignored folder never entered; OsvPS's own temporaries are never content; a name that is not UTF-8 is refused
    /// (<see cref="ErrorIds.FileNameInvalid"/>); links are never followed, and one that leaves the project is refused
    /// (<see cref="ErrorIds.SymlinkOutsideProject"/>) unless kept as written; FIFOs, sockets and devices are passed over.
    /// </summary>
    internal static class ProjectTree
    {
        public static IEnumerable<ProjectTreeEntry> Walk(string root, IgnoreRules rules, bool keepExternalLinks)
        {
            string top = Path.GetFullPath(root);
            var pending = new Stack<KeyValuePair<string, IEnumerator<FileSystemInfo>>>();
            pending.Push(new KeyValuePair<string, IEnumerator<FileSystemInfo>>("", List(new DirectoryInfo(top))));
            while (pending.Count > 0)
            {
                var current = pending.Peek();
                if (!current.Value.MoveNext())
                {
                    pending.Pop();
                    continue;
                }
                var child = current.Value.Current;
                string relative = current.Key.Length == 0 ? child.Name : current.Key + "/" + child.Name;
                // Ignored folders are never entered, so the path itself is all there is to check.
                if (rules.Matches("/" + relative) || AtomicFile.IsTemporaryName(child.Name))
                {
                    continue;
                }
                // .NET shows a name that is not UTF-8 with U+FFFD in it, and then cannot open it by that
                // name (it used to surface as a puzzling symlink error): say what it is instead.
                if (child.Name.IndexOf('\uFFFD') >= 0)
                {
                    throw new OsvException(ErrorIds.FileNameInvalid, OsvErrorKind.InvalidData,
                        $"'{child.FullName}' has a name that is not UTF-8; OSv's file system stores UTF-8 names. Rename it (or list it in .capstanignore under a pattern with '*').", child.FullName);
                }
                if (SymbolicLink.IsLink(child))
                {
                    string target = GuestLinkTarget(top, "/" + relative, child.FullName, keepExternalLinks);
                    yield return new ProjectTreeEntry(relative, child.FullName, ProjectEntryKind.Link, 0, child.LastWriteTimeUtc, null, target);
                }
                else if (child is DirectoryInfo folder)
                {
                    yield return new ProjectTreeEntry(relative, child.FullName, ProjectEntryKind.Folder, 0, child.LastWriteTimeUtc, null, null);
                    pending.Push(new KeyValuePair<string, IEnumerator<FileSystemInfo>>(relative, List(folder)));
                }
                else if (child is FileInfo file)
                {
                    // FIFOs, sockets and devices are not files an image can hold (and a FIFO would block the read).
                    var identity = UnixFile.Stat(file.FullName, noFollow: true);
                    if ((file.Attributes & FileAttributes.Device) != 0 || identity != null && identity.Type != UnixFileType.Regular)
                    {
                        continue;
                    }
                    yield return new ProjectTreeEntry(relative, file.FullName, ProjectEntryKind.File, file.Length, file.LastWriteTimeUtc, identity, null);
                }
            }
        }

        private static IEnumerator<FileSystemInfo> List(DirectoryInfo folder)
        {
            try
            {
                return folder.GetFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal).ToList().GetEnumerator();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read folder '{folder.FullName}': {e.Message}", folder.FullName, e);
            }
        }

        /// <summary>
        /// A relative target that stays inside the project is kept; an absolute one inside the project
        /// becomes the guest path it names; one that leaves the project is refused unless kept on request.
        /// </summary>
        internal static string GuestLinkTarget(string root, string guestPath, string hostPath, bool keepExternal)
        {
            string target = SymbolicLink.ReadTarget(hostPath);
            string rootWithSlash = root.TrimEnd('/') + "/";
            if (target.StartsWith("/", StringComparison.Ordinal))
            {
                if (target.StartsWith(rootWithSlash, StringComparison.Ordinal) || target == root.TrimEnd('/'))
                {
                    return "/" + target.Substring(Math.Min(target.Length, rootWithSlash.Length));
                }
            }
            else if (StaysInside(guestPath, target))
            {
                return target;
            }
            if (keepExternal)
            {
                return target;
            }
            throw new OsvException(ErrorIds.SymlinkOutsideProject, OsvErrorKind.InvalidData,
                $"symlink '{hostPath}' points to '{target}', outside the project; copy the file into the project, or keep the link as written with -KeepExternalSymlinks.", hostPath);
        }

        // A relative target, resolved from the link's folder, never climbs above the project's top.
        private static bool StaysInside(string guestPath, string target)
        {
            int depth = guestPath.Split('/').Count(p => p.Length > 0) - 1;
            foreach (string part in target.Split('/'))
            {
                if (part == "..")
                {
                    if (depth == 0)
                    {
                        return false;
                    }
                    depth--;
                }
                else if (part.Length > 0 && part != ".")
                {
                    depth++;
                }
            }
            return true;
        }
    }
}
