using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace OsvPS.Core.Tests.Support
{
    /// <summary>
    /// An independent reader of OSv's ROFS, written from the format description alone and sharing
    /// no code with the writer: the oracle for what the writer produces.
    /// </summary>
    public sealed class RofsReader
    {
        public sealed class Node
        {
            public string Path = "";
            public uint Mode;
            public ulong Inode;
            public byte[]? Content;
            public string? Target;
        }

        public ulong DirectoryEntries, Symlinks, Inodes, FirstStructureBlock, StructureBlocks;
        public readonly Dictionary<string, Node> Nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        public readonly List<string> Order = new List<string>();

        public RofsReader(byte[] fs)
        {
            ulong U64(long at) => BitConverter.ToUInt64(fs, checked((int)at));
            if (U64(0) != 0xDEADBEAD) throw new InvalidDataException("bad magic");
            if (U64(8) != 1 || U64(16) != 512) throw new InvalidDataException("bad version or block size");
            FirstStructureBlock = U64(24);
            StructureBlocks = U64(32);
            DirectoryEntries = U64(40);
            Symlinks = U64(48);
            Inodes = U64(56);
            for (int i = 64; i < 512; i++) if (fs[i] != 0) throw new InvalidDataException("superblock tail not zero");
            if ((long)(FirstStructureBlock + StructureBlocks) * 512 != fs.Length) throw new InvalidDataException("size mismatch");

            long at = (long)FirstStructureBlock * 512;
            var entries = new List<(ulong inode, string name)>();
            for (ulong i = 0; i < DirectoryEntries; i++)
            {
                ulong ino = U64(at);
                int len = BitConverter.ToUInt16(fs, (int)at + 8);
                entries.Add((ino, Encoding.UTF8.GetString(fs, (int)at + 10, len)));
                at += 10 + len;
            }
            var links = new List<string>();
            for (ulong i = 0; i < Symlinks; i++)
            {
                int len = BitConverter.ToUInt16(fs, (int)at);
                links.Add(Encoding.UTF8.GetString(fs, (int)at + 2, len));
                at += 2 + len;
            }
            var inodes = new List<(uint mode, ulong no, ulong offset, ulong count)>();
            for (ulong i = 0; i < Inodes; i++)
            {
                uint mode = BitConverter.ToUInt32(fs, (int)at);
                if (BitConverter.ToUInt32(fs, (int)at + 4) != 0) throw new InvalidDataException("inode padding not zero");
                inodes.Add((mode, U64(at + 8), U64(at + 16), U64(at + 24)));
                at += 32;
            }
            for (long i = at; i < fs.Length; i++) if (fs[i] != 0) throw new InvalidDataException("structure padding not zero");
            for (int i = 0; i < inodes.Count; i++) if (inodes[i].no != (ulong)i + 1) throw new InvalidDataException("inode numbers not positional");
            if (inodes[0].mode != 0x4000) throw new InvalidDataException("inode 1 is not a directory");

            var seen = new HashSet<ulong>();
            void Walk(ulong ino, string path)
            {
                if (!seen.Add(ino)) throw new InvalidDataException($"inode {ino} reached twice");
                var inode = inodes[(int)ino - 1];
                var node = new Node { Path = path, Mode = inode.mode, Inode = ino };
                Nodes[path] = node;
                Order.Add(path);
                switch (inode.mode)
                {
                    case 0x4000:
                        string? previous = null;
                        for (ulong e = inode.offset; e < inode.offset + inode.count; e++)
                        {
                            var (child, name) = entries[(int)e];
                            if (previous != null && string.CompareOrdinal(previous, name) >= 0) throw new InvalidDataException($"children of {path} not sorted");
                            previous = name;
                            Walk(child, path == "/" ? "/" + name : path + "/" + name);
                        }
                        break;
                    case 0x8000:
                        node.Content = new byte[inode.count];
                        if (inode.count > 0)
                        {
                            if (inode.offset == 0 || inode.offset + (inode.count + 511) / 512 > FirstStructureBlock) throw new InvalidDataException($"{path} data outside the data area");
                            Array.Copy(fs, (long)inode.offset * 512, node.Content, 0, (long)inode.count);
                            long tail = (long)(inode.offset * 512 + inode.count);
                            for (long b = tail; b % 512 != 0; b++) if (fs[b] != 0) throw new InvalidDataException($"{path}: last block not zero-padded");
                        }
                        break;
                    case 0xA000:
                        if (inode.count != 1) throw new InvalidDataException("symlink count must be 1");
                        node.Target = links[(int)inode.offset];
                        break;
                    default:
                        throw new InvalidDataException($"mode {inode.mode:x} of {path}");
                }
            }
            Walk(1, "/");
            if (seen.Count != inodes.Count) throw new InvalidDataException("unreachable inodes");
        }
    }
}
