using System;
using System.Collections.Generic;
using System.IO;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Debian
{
    /// <summary>What a path of a root file system is, its last part not followed.</summary>
    internal enum SysrootEntryType
    {
        Missing,
        Regular,
        Directory,
        SymbolicLink,
        Other,
    }

    /// <summary>
    /// Paths of a root file system ("/" for the host, or a sysroot such as a debootstrap folder), resolved as
    /// the kernel would inside it: symbolic links in the folders on the way are followed, an absolute target
    /// starting again at the root and <c>..</c> stopping there, so no link leads out of the root. Folders
    /// already resolved are remembered: a package's thousand files cost one look per folder.
    /// </summary>
    public sealed class Sysroot
    {
        private const int MaxLinks = 40;
        // Folders whose resolution needs other folders resolved first: a hostile root can chain links without end.
        private const int MaxDepth = 256;
        private readonly Dictionary<string, string?> folders = new Dictionary<string, string?>(StringComparer.Ordinal);
        private readonly HashSet<string> resolving = new HashSet<string>(StringComparer.Ordinal);

        public Sysroot(string root)
        {
            Root = root == "/" ? "/" : Path.GetFullPath(root).TrimEnd('/');
        }

        /// <summary>The root's host path ("/" for the host).</summary>
        public string Root { get; }

        /// <summary>The host path of a resolved path of the root.</summary>
        public string Host(string path) => Root == "/" ? path : Root + path;

        /// <summary>
        /// Where <paramref name="path"/> (absolute, plain) is: its folder resolved, its last part as it is.
        /// Null when a folder on the way does not exist or is not a folder.
        /// </summary>
        public string? Locate(string path)
        {
            int slash = path.LastIndexOf('/');
            string? folder = ResolveFolder(slash <= 0 ? "/" : path.Substring(0, slash));
            return folder == null ? null : (folder == "/" ? "" : folder) + path.Substring(slash);
        }

        /// <summary><paramref name="path"/> with every link followed (the last part too); null when it leads nowhere.</summary>
        public string? Resolve(string path)
        {
            string? located = Locate(path);
            for (int hops = 0; located != null && hops < MaxLinks; hops++)
            {
                if (TypeOf(located) != SysrootEntryType.SymbolicLink)
                {
                    return located;
                }
                located = Locate(Join(Parent(located), SymbolicLink.ReadTarget(Host(located))));
            }
            return located == null ? null : throw TooManyLinks(path);
        }

        /// <summary>The type of a located path, its last part not followed.</summary>
        internal SysrootEntryType TypeOf(string located)
        {
            string host = Host(located);
            UnixFileStatus? status;
            try
            {
                status = UnixFile.Stat(host, noFollow: true);
            }
            catch (IOException e)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, e.Message, host, e);
            }
            if (status == null)
            {
                return SysrootEntryType.Missing;
            }
            switch (status.Type)
            {
                case UnixFileType.Regular: return SysrootEntryType.Regular;
                case UnixFileType.Directory: return SysrootEntryType.Directory;
                case UnixFileType.SymbolicLink: return SysrootEntryType.SymbolicLink;
                case UnixFileType.Other: return IsLink(host) ? SysrootEntryType.SymbolicLink : SysrootEntryType.Other;
                default: return SysrootEntryType.Other;
            }
        }

        private static bool IsLink(string host)
        {
            try
            {
                SymbolicLink.ReadTarget(host);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }

        private string? ResolveFolder(string folder)
        {
            if (folder == "/")
            {
                return "/";
            }
            if (folders.TryGetValue(folder, out var known))
            {
                return known;
            }
            if (resolving.Count >= MaxDepth || !resolving.Add(folder))
            {
                throw TooManyLinks(folder);
            }
            try
            {
                string? resolved = Resolve(folder);
                if (resolved != null && TypeOf(resolved) != SysrootEntryType.Directory)
                {
                    resolved = null;
                }
                folders[folder] = resolved;
                return resolved;
            }
            finally
            {
                resolving.Remove(folder);
            }
        }

        /// <summary>The folder of a path, "/" for the root's children.</summary>
        public static string Parent(string path)
        {
            int slash = path.LastIndexOf('/');
            return slash <= 0 ? "/" : path.Substring(0, slash);
        }

        /// <summary>A link target seen from <paramref name="folder"/>, made an absolute plain path that cannot climb above "/".</summary>
        public static string Join(string folder, string target)
        {
            var parts = new List<string>();
            if (!target.StartsWith("/", StringComparison.Ordinal))
            {
                parts.AddRange(folder.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries));
            }
            foreach (string part in target.Split('/'))
            {
                if (part == "..")
                {
                    if (parts.Count > 0)
                    {
                        parts.RemoveAt(parts.Count - 1);
                    }
                }
                else if (part.Length > 0 && part != ".")
                {
                    parts.Add(part);
                }
            }
            return "/" + string.Join("/", parts);
        }

        private static OsvException TooManyLinks(string path)
            => new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"'{path}' goes through more than {MaxLinks} symbolic links.", path);
    }
}
