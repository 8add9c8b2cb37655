using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Rofs
{
    /// <summary>Where a guest file's bytes come from.</summary>
    internal abstract class FileSource
    {
        public abstract long Length { get; }

        /// <summary>Opens the bytes; the stream yields exactly <see cref="Length"/> bytes unless the source changed.</summary>
        public abstract Stream Open();

        /// <summary>What changes when the content may have changed (for incremental builds).</summary>
        public abstract string Fingerprint { get; }

        public abstract override string ToString();
    }

    /// <summary>A file of the host.</summary>
    internal sealed class HostFileSource : FileSource
    {
        public HostFileSource(string path, long length, DateTime lastWriteUtc, IO.UnixFileStatus? identity = null)
        {
            Path = path;
            Length = length;
            LastWriteUtc = lastWriteUtc;
            this.identity = identity;
        }

        // The file as planned (device and inode): what is opened at write time must be the same file.
        private readonly IO.UnixFileStatus? identity;

        public string Path { get; }
        public override long Length { get; }
        public DateTime LastWriteUtc { get; }

        // Unbuffered (the image writer reads straight into its own buffer) and without FileShare.Read's
        // advisory lock, which costs two flock calls per file on Linux.
        public override Stream Open() => IO.UnixFile.OpenPlanned(Path, identity);

        public override string Fingerprint => $"host:{Path}:{Length}:{LastWriteUtc.Ticks}";

        public override string ToString() => Path;
    }

    /// <summary>A byte range of a host file (a member of an uncompressed package archive).</summary>
    internal sealed class FileRangeSource : FileSource
    {
        private readonly string description;

        public FileRangeSource(string path, long offset, long length, string fingerprint, string description)
        {
            Path = path;
            Offset = offset;
            Length = length;
            Fingerprint = fingerprint;
            this.description = description;
        }

        public string Path { get; }
        public long Offset { get; }
        public override long Length { get; }
        public override string Fingerprint { get; }

        public override Stream Open()
        {
            var f = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            f.Seek(Offset, SeekOrigin.Begin);
            return f;
        }

        public override string ToString() => description;
    }

    /// <summary>Bytes made by OsvPS itself (the /run files).</summary>
    internal sealed class BytesSource : FileSource
    {
        private readonly byte[] bytes;
        private readonly string description;

        public BytesSource(byte[] bytes, string description)
        {
            this.bytes = bytes;
            this.description = description;
        }

        public override long Length => bytes.Length;
        public override Stream Open() => new MemoryStream(bytes, false);
        public override string Fingerprint => "bytes:" + Convert.ToBase64String(bytes);
        public override string ToString() => description;
    }

    internal abstract class TreeNode
    {
    }

    internal sealed class TreeDirectory : TreeNode
    {
        /// <summary>Children by name, in ordinal order (the order ROFS stores them).</summary>
        public SortedDictionary<string, TreeNode> Children { get; } = new SortedDictionary<string, TreeNode>(StringComparer.Ordinal);
    }

    internal sealed class TreeFile : TreeNode
    {
        public TreeFile(FileSource source) => Source = source;

        public FileSource Source { get; }
    }

    internal sealed class TreeSymlink : TreeNode
    {
        public TreeSymlink(string target, string origin)
        {
            Target = target;
            Origin = origin;
        }

        public string Target { get; }

        /// <summary>Where the link came from (for messages and -Verbose).</summary>
        public string Origin { get; }
    }

    /// <summary>The guest file system being composed: later additions replace earlier ones.</summary>
    internal sealed class ImageTree
    {
        public TreeDirectory Root { get; } = new TreeDirectory();

        /// <summary>Places <paramref name="node"/> at <paramref name="guestPath"/> (absolute, '/'-separated), creating folders.</summary>
        public void Add(string guestPath, TreeNode node)
        {
            var parts = Split(guestPath);
            if (parts.Length == 0)
            {
                if (node is TreeDirectory)
                {
                    return;
                }
                throw new OsvException(ErrorIds.GuestPathInvalid, OsvErrorKind.InvalidArgument, "the guest root '/' can only be a folder.", guestPath);
            }
            var dir = Root;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!dir.Children.TryGetValue(parts[i], out var child) || !(child is TreeDirectory sub))
                {
                    sub = new TreeDirectory();
                    dir.Children[parts[i]] = sub;
                }
                dir = sub;
            }
            string name = parts[parts.Length - 1];
            if (node is TreeDirectory && dir.Children.TryGetValue(name, out var existing) && existing is TreeDirectory)
            {
                return; // merging folders keeps what is already inside
            }
            dir.Children[name] = node;
        }

        public TreeNode? Find(string guestPath)
        {
            TreeNode node = Root;
            foreach (string part in Split(guestPath))
            {
                if (!(node is TreeDirectory dir) || !dir.Children.TryGetValue(part, out node!))
                {
                    return null;
                }
            }
            return node;
        }

        /// <summary>Every node with its guest path, parents before children, siblings in ordinal order.</summary>
        public IEnumerable<KeyValuePair<string, TreeNode>> Walk()
        {
            var stack = new Stack<KeyValuePair<string, TreeDirectory>>();
            stack.Push(new KeyValuePair<string, TreeDirectory>("", Root));
            while (stack.Count > 0)
            {
                var current = stack.Pop();
                var dirs = new List<KeyValuePair<string, TreeDirectory>>();
                foreach (var child in current.Value.Children)
                {
                    string path = current.Key + "/" + child.Key;
                    yield return new KeyValuePair<string, TreeNode>(path, child.Value);
                    if (child.Value is TreeDirectory d)
                    {
                        dirs.Add(new KeyValuePair<string, TreeDirectory>(path, d));
                    }
                }
                for (int i = dirs.Count - 1; i >= 0; i--)
                {
                    stack.Push(dirs[i]);
                }
            }
        }

        internal static string[] Split(string guestPath)
            => guestPath.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
    }
}
