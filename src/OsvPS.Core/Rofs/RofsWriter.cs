using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Rofs
{
    /// <summary>
    /// Lays out and writes OSv's read-only file system (ROFS) for an <see cref="ImageTree"/>.
    /// The layout is computed first (so the size is known before a byte is written), then file
    /// contents stream straight from their sources into the sink. Our own because ROFS is OSv's alone:
    /// OSv builds it with a Python script at image time, and no library writes it.
    /// </summary>
    internal sealed class RofsWriter
    {
        public const ulong Magic = 0xDEADBEAD;
        public const int BlockSize = 512;

        private const uint ModeDirectory = 0x4000;
        private const uint ModeFile = 0x8000;
        private const uint ModeSymlink = 0xA000;

        private readonly List<Inode> inodes = new List<Inode>();
        private readonly List<KeyValuePair<long, byte[]>> entries = new List<KeyValuePair<long, byte[]>>();
        private readonly List<byte[]> symlinks = new List<byte[]>();
        private readonly long dataBlocks;
        private readonly long structureBytes;

        private sealed class Inode
        {
            public uint Mode;
            public long DataOffset;
            public long Count;
            public FileSource? Source;
            public string GuestPath = "";
        }

        public RofsWriter(ImageTree tree)
        {
            // Breadth first: a folder's children get consecutive inode numbers and directory entries.
            var queue = new Queue<KeyValuePair<string, TreeDirectory>>();
            inodes.Add(new Inode { Mode = ModeDirectory, GuestPath = "/" });
            queue.Enqueue(new KeyValuePair<string, TreeDirectory>("", tree.Root));
            var directoryInodes = new Queue<Inode>();
            directoryInodes.Enqueue(inodes[0]);
            long nextBlock = 1;
            while (queue.Count > 0)
            {
                var current = queue.Dequeue();
                var self = directoryInodes.Dequeue();
                self.DataOffset = entries.Count;
                self.Count = current.Value.Children.Count;
                foreach (var child in current.Value.Children)
                {
                    string path = current.Key + "/" + child.Key;
                    byte[] name = Encoding.UTF8.GetBytes(child.Key);
                    if (name.Length > ushort.MaxValue)
                    {
                        throw new OsvException(ErrorIds.NameTooLong, OsvErrorKind.LimitsExceeded,
                            $"a file name of {name.Length} bytes cannot be stored in ROFS (at most {ushort.MaxValue}).", path.Substring(0, 200) + "...");
                    }
                    var inode = new Inode { GuestPath = path };
                    inodes.Add(inode);
                    entries.Add(new KeyValuePair<long, byte[]>(inodes.Count, name));
                    switch (child.Value)
                    {
                        case TreeDirectory dir:
                            inode.Mode = ModeDirectory;
                            queue.Enqueue(new KeyValuePair<string, TreeDirectory>(path, dir));
                            directoryInodes.Enqueue(inode);
                            break;
                        case TreeSymlink link:
                            byte[] target = Encoding.UTF8.GetBytes(link.Target);
                            if (target.Length > ushort.MaxValue)
                            {
                                throw new OsvException(ErrorIds.NameTooLong, OsvErrorKind.LimitsExceeded,
                                    $"the target of symlink '{path}' is {target.Length} bytes; ROFS stores at most {ushort.MaxValue}.", path);
                            }
                            inode.Mode = ModeSymlink;
                            inode.DataOffset = symlinks.Count;
                            inode.Count = 1;
                            symlinks.Add(target);
                            break;
                        case TreeFile file:
                            inode.Mode = ModeFile;
                            inode.Source = file.Source;
                            inode.DataOffset = nextBlock;
                            inode.Count = file.Source.Length;
                            nextBlock += (file.Source.Length + BlockSize - 1) / BlockSize;
                            break;
                    }
                }
            }
            dataBlocks = nextBlock - 1;
            long bytes = inodes.Count * 32L;
            foreach (var e in entries)
            {
                bytes += 10 + e.Value.Length;
            }
            foreach (var s in symlinks)
            {
                bytes += 2 + s.Length;
            }
            structureBytes = bytes;
        }

        /// <summary>Files, folders and symlinks in the file system, the root included.</summary>
        public int InodeCount => inodes.Count;

        /// <summary>The whole file system's size in bytes, a multiple of 512.</summary>
        public long TotalBytes => (1 + dataBlocks + StructureBlocks) * BlockSize;

        private long StructureBlocks => (structureBytes + BlockSize - 1) / BlockSize;

        /// <summary>Writes the file system; <paramref name="progress"/> is told the bytes of each file as they are written.</summary>
        public void Write(IByteSink sink, CancellationToken cancellation, Action<long, string>? progress = null)
        {
            var block = new byte[BlockSize];
            WriteU64(block, 0, Magic);
            WriteU64(block, 8, 1);
            WriteU64(block, 16, BlockSize);
            WriteU64(block, 24, (ulong)(1 + dataBlocks));
            WriteU64(block, 32, (ulong)StructureBlocks);
            WriteU64(block, 40, (ulong)entries.Count);
            WriteU64(block, 48, (ulong)symlinks.Count);
            WriteU64(block, 56, (ulong)inodes.Count);
            sink.Write(block, 0, BlockSize);

            foreach (var inode in inodes)
            {
                if (inode.Source == null || inode.Count == 0)
                {
                    continue;
                }
                cancellation.ThrowIfCancellationRequested();
                CopyFile(inode, sink, cancellation, progress);
            }

            var table = new TableWriter(sink);
            foreach (var e in entries)
            {
                table.U64((ulong)e.Key);
                table.U16((ushort)e.Value.Length);
                table.Bytes(e.Value);
            }
            foreach (var s in symlinks)
            {
                table.U16((ushort)s.Length);
                table.Bytes(s);
            }
            for (int i = 0; i < inodes.Count; i++)
            {
                var inode = inodes[i];
                table.U32(inode.Mode);
                table.U32(0);
                table.U64((ulong)(i + 1));
                table.U64((ulong)inode.DataOffset);
                table.U64((ulong)inode.Count);
            }
            table.PadToBlock();
        }

        private void CopyFile(Inode inode, IByteSink sink, CancellationToken cancellation, Action<long, string>? progress)
        {
            long remaining = inode.Count;
            try
            {
                using (var stream = inode.Source!.Open())
                {
                    // A host file whose size changed since the layout was made cannot fill its blocks.
                    if (inode.Source is HostFileSource && stream.Length != inode.Count)
                    {
                        throw Changed(inode);
                    }
                    while (remaining > 0)
                    {
                        int n = sink.CopyFrom(stream, (int)Math.Min(int.MaxValue, remaining));
                        if (n == 0)
                        {
                            break;
                        }
                        remaining -= n;
                        progress?.Invoke(n, inode.GuestPath);
                        cancellation.ThrowIfCancellationRequested();
                    }
                    if (remaining > 0)
                    {
                        throw Changed(inode);
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read '{inode.Source}': {e.Message}", inode.Source!.ToString(), e);
            }
            long pad = (BlockSize - inode.Count % BlockSize) % BlockSize;
            sink.WriteZeros(pad);
        }

        private static OsvException Changed(Inode inode)
            => new OsvException(ErrorIds.FileChangedDuringBuild, OsvErrorKind.InvalidData,
                $"'{inode.Source}' changed size while the image was being written; build again.", inode.Source!.ToString());

        private static void WriteU64(byte[] b, int at, ulong v)
        {
            for (int i = 0; i < 8; i++)
            {
                b[at + i] = (byte)(v >> (8 * i));
            }
        }

        /// <summary>Little-endian fields into the sink through a small buffer.</summary>
        private sealed class TableWriter
        {
            private readonly IByteSink sink;
            private readonly byte[] buffer = new byte[1 << 16];
            private int fill;
            private long written;

            public TableWriter(IByteSink sink) => this.sink = sink;

            public void U16(ushort v) { Ensure(2); buffer[fill++] = (byte)v; buffer[fill++] = (byte)(v >> 8); }

            public void U32(uint v) { Ensure(4); for (int i = 0; i < 4; i++) { buffer[fill++] = (byte)(v >> (8 * i)); } }

            public void U64(ulong v) { Ensure(8); for (int i = 0; i < 8; i++) { buffer[fill++] = (byte)(v >> (8 * i)); } }

            public void Bytes(byte[] b)
            {
                int at = 0;
                while (at < b.Length)
                {
                    Ensure(1);
                    int n = Math.Min(b.Length - at, buffer.Length - fill);
                    Buffer.BlockCopy(b, at, buffer, fill, n);
                    fill += n;
                    at += n;
                }
            }

            public void PadToBlock()
            {
                Flush();
                sink.WriteZeros((BlockSize - written % BlockSize) % BlockSize);
            }

            private void Ensure(int n)
            {
                if (fill + n > buffer.Length)
                {
                    Flush();
                }
            }

            private void Flush()
            {
                sink.Write(buffer, 0, fill);
                written += fill;
                fill = 0;
            }
        }
    }
}
