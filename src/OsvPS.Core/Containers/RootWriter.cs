using System;
using System.Collections.Generic;
using System.IO;
using OsvPS.Core.IO;

namespace OsvPS.Core.Containers
{
    /// <summary>
    /// The writes of an image's root, all relative to the root's open folder one name at a time and never through a
    /// link (openat/mkdirat/unlinkat with O_NOFOLLOW, <see cref="FolderHandle"/>): a name on the way that is a link
    /// stops the write with <see cref="LinkFoundException"/>. The folders of the last path walked stay open, so the
    /// next entry in the same folder (a tar's usual order) opens nothing again.
    /// </summary>
    internal sealed class RootWriter : IDisposable
    {
        // chain[0] is the root; chain[d] the folder at depth d of the last walk.
        private readonly List<(string Name, FolderHandle Handle)> chain = new List<(string, FolderHandle)>();

        public RootWriter(string root) => chain.Add(("", FolderHandle.OpenPath(root, followLast: false)));

        public FolderHandle Root => chain[0].Handle;

        /// <summary>
        /// The folder of the first <paramref name="count"/> names of <paramref name="parts"/>, created when missing if
        /// <paramref name="create"/> (else null when missing). The handle stays valid until the next call.
        /// </summary>
        public FolderHandle? Folder(IReadOnlyList<string> parts, int count, bool create)
        {
            int same = 0;
            while (same < count && same + 1 < chain.Count && chain[same + 1].Name == parts[same])
            {
                same++;
            }
            Truncate(same);
            for (int d = same; d < count; d++)
            {
                FolderHandle next;
                try
                {
                    next = chain[d].Handle.OpenChild(parts[d], create);
                }
                catch (IOException e) when (!create && (e.HResult == 2 || e.HResult == 20) && !(e is LinkFoundException))
                {
                    return null;
                }
                chain.Add((parts[d], next));
            }
            return chain[count].Handle;
        }

        /// <summary>The folder of <paramref name="parts"/> on a walk of its own (the caller disposes it); null when missing.</summary>
        public FolderHandle? OpenApart(IReadOnlyList<string> parts, int count)
        {
            var current = Root.OpenChild(".", create: false);
            for (int d = 0; d < count; d++)
            {
                try
                {
                    var next = current.OpenChild(parts[d], create: false);
                    current.Dispose();
                    current = next;
                }
                catch (IOException e) when ((e.HResult == 2 || e.HResult == 20) && !(e is LinkFoundException))
                {
                    current.Dispose();
                    return null;
                }
            }
            return current;
        }

        /// <summary>Removes <paramref name="name"/> (a folder with all in it) from the folder at <paramref name="depth"/> of the last walk; false when there was none.</summary>
        public bool Remove(FolderHandle folder, int depth, string name)
        {
            Truncate(depth);
            var status = folder.Stat(name);
            if (status == null)
            {
                return false;
            }
            if (status.Type == UnixFileType.Directory)
            {
                RemoveTree(folder, name);
            }
            else
            {
                folder.Delete(name);
            }
            return true;
        }

        /// <summary>Removes everything in <paramref name="folder"/>.</summary>
        public static void RemoveContents(FolderHandle folder)
        {
            foreach (string name in folder.Names())
            {
                if (folder.Stat(name)?.Type == UnixFileType.Directory)
                {
                    RemoveTree(folder, name);
                }
                else
                {
                    folder.Delete(name);
                }
            }
        }

        /// <summary>Removes the folder <paramref name="name"/> of <paramref name="parent"/> and all in it, never through a link.</summary>
        public static void RemoveTree(FolderHandle parent, string name)
        {
            using (var folder = parent.OpenChild(name, create: false))
            {
                RemoveContents(folder);
            }
            if (!parent.DeleteEmptyFolder(name))
            {
                throw new IOException($"cannot remove the folder '{parent.Path}/{name}'.");
            }
        }

        // Keeps the chain's first depth + 1 folders.
        private void Truncate(int depth)
        {
            for (int d = chain.Count - 1; d > depth; d--)
            {
                chain[d].Handle.Dispose();
                chain.RemoveAt(d);
            }
        }

        public void Dispose() => Truncate(-1);
    }
}
