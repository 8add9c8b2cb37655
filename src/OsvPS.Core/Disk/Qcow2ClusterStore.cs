using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace OsvPS.Core.Disk
{
    /// <summary>
    /// Writes a qcow2 (version 3, 64 KiB clusters, 16-bit refcounts) in one pass: the header
    /// cluster first, data clusters appended as they come, then the L2 tables, the L1 table and
    /// the refcount structures, and finally the header itself. Our own because no .NET library writes
    /// qcow2 (DiscUtils, named on the card, cannot be installed here and never wrote it); qemu-img is
    /// the oracle in the tests and converts to the formats this writer does not make.
    /// </summary>
    internal sealed class Qcow2ClusterStore : IClusterStore
    {
        private const int ClusterBits = 16;
        private const int ClusterSize = 1 << ClusterBits;
        private const int L2Entries = ClusterSize / 8;
        private const int RefcountsPerBlock = ClusterSize / 2;
        private const ulong Copied = 1UL << 63;

        private readonly FileStream file;
        // Host offset of each allocated virtual cluster; memory is 16 bytes per non-zero 64 KiB.
        private readonly List<KeyValuePair<long, long>> mapping = new List<KeyValuePair<long, long>>();
        private long nextHostCluster = 1;

        private readonly string? backingFile;
        private readonly string? backingFormat;

        /// <summary>A qcow2 in <paramref name="file"/>; with <paramref name="backingFile"/> it is an overlay whose unwritten clusters read from it.</summary>
        public Qcow2ClusterStore(FileStream file, string? backingFile = null, string? backingFormat = null)
        {
            this.file = file;
            this.backingFile = backingFile;
            this.backingFormat = backingFormat;
            file.SetLength(0);
            file.Write(new byte[ClusterSize], 0, ClusterSize);
        }

        public void WriteClusters(long first, byte[] buffer, int offset, int clusters)
        {
            for (int i = 0; i < clusters; i++)
            {
                mapping.Add(new KeyValuePair<long, long>(first + i, (nextHostCluster + i) * ClusterSize));
            }
            file.Write(buffer, offset, clusters * ClusterSize);
            nextHostCluster += clusters;
        }

        public void Complete(long virtualSize)
        {
            if (virtualSize % 512 != 0)
            {
                throw new ArgumentException("a qcow2 virtual size must be a multiple of 512 bytes.", nameof(virtualSize));
            }
            long virtualClusters = (virtualSize + ClusterSize - 1) / ClusterSize;
            int l1Size = (int)((virtualClusters + L2Entries - 1) / L2Entries);

            // L2 tables, only for the L1 slots that map something.
            var l2Tables = new SortedDictionary<int, ulong[]>();
            foreach (var pair in mapping)
            {
                int slot = (int)(pair.Key / L2Entries);
                if (!l2Tables.TryGetValue(slot, out var table))
                {
                    l2Tables[slot] = table = new ulong[L2Entries];
                }
                table[pair.Key % L2Entries] = (ulong)pair.Value | Copied;
            }

            var l1 = new ulong[l1Size];
            foreach (var slot in l2Tables)
            {
                l1[slot.Key] = (ulong)(nextHostCluster * ClusterSize) | Copied;
                WriteTable(slot.Value);
                nextHostCluster++;
            }

            long l1Offset = nextHostCluster * ClusterSize;
            int l1Clusters = Math.Max(1, (l1Size * 8 + ClusterSize - 1) / ClusterSize);
            WriteTable(l1, l1Clusters);
            nextHostCluster += l1Clusters;

            // The refcount structures count themselves: grow until the sizes agree.
            long refcountBlocks = 1, tableClusters = 1;
            while (true)
            {
                long total = nextHostCluster + tableClusters + refcountBlocks;
                long blocks = (total + RefcountsPerBlock - 1) / RefcountsPerBlock;
                long tableSize = Math.Max(1, (blocks * 8 + ClusterSize - 1) / ClusterSize);
                if (blocks == refcountBlocks && tableSize == tableClusters)
                {
                    break;
                }
                refcountBlocks = blocks;
                tableClusters = tableSize;
            }
            long refTableOffset = nextHostCluster * ClusterSize;
            long firstBlock = nextHostCluster + tableClusters;
            long totalClusters = firstBlock + refcountBlocks;

            var refTable = new ulong[tableClusters * L2Entries];
            for (long b = 0; b < refcountBlocks; b++)
            {
                refTable[b] = (ulong)((firstBlock + b) * ClusterSize);
            }
            WriteTable(refTable, (int)tableClusters);

            var block = new byte[ClusterSize];
            for (long b = 0; b < refcountBlocks; b++)
            {
                Array.Clear(block, 0, block.Length);
                long first = b * RefcountsPerBlock;
                long last = Math.Min(totalClusters, first + RefcountsPerBlock);
                for (long c = first; c < last; c++)
                {
                    block[(c - first) * 2 + 1] = 1;
                }
                file.Write(block, 0, block.Length);
            }

            WriteHeader(virtualSize, l1Size, l1Offset, refTableOffset, (int)tableClusters);
        }

        private void WriteTable(ulong[] entries, int clusters = 1)
        {
            var bytes = new byte[clusters * ClusterSize];
            for (int i = 0; i < entries.Length && i * 8 < bytes.Length; i++)
            {
                BigEndian.Write(bytes, i * 8, entries[i]);
            }
            file.Write(bytes, 0, bytes.Length);
        }

        private void WriteHeader(long virtualSize, int l1Size, long l1Offset, long refTableOffset, int refTableClusters)
        {
            var h = new byte[104];
            h[0] = (byte)'Q'; h[1] = (byte)'F'; h[2] = (byte)'I'; h[3] = 0xfb;
            BigEndian.Write(h, 4, 3u);
            BigEndian.Write(h, 20, (uint)ClusterBits);
            BigEndian.Write(h, 24, (ulong)virtualSize);
            BigEndian.Write(h, 36, (uint)l1Size);
            BigEndian.Write(h, 40, (ulong)l1Offset);
            BigEndian.Write(h, 48, (ulong)refTableOffset);
            BigEndian.Write(h, 56, (uint)refTableClusters);
            BigEndian.Write(h, 96, 4u);    // refcount_order: 16-bit refcounts
            BigEndian.Write(h, 100, 104u); // header_length
            var extensions = new List<byte>();
            if (backingFile != null)
            {
                // Header extension "backing file format name", then the end marker, then the name itself.
                byte[] format = Encoding.ASCII.GetBytes(backingFormat ?? "raw");
                var ext = new byte[8 + (format.Length + 7) / 8 * 8];
                BigEndian.Write(ext, 0, 0xE2792ACAu);
                BigEndian.Write(ext, 4, (uint)format.Length);
                Buffer.BlockCopy(format, 0, ext, 8, format.Length);
                extensions.AddRange(ext);
            }
            extensions.AddRange(new byte[8]); // end of header extensions
            var header = new List<byte>(h.Take(104));
            header.AddRange(extensions);
            if (backingFile != null)
            {
                byte[] name = Encoding.UTF8.GetBytes(backingFile);
                if (header.Count + name.Length > ClusterSize || name.Length > 1023)
                {
                    throw new ArgumentException("the backing file's path is too long for a qcow2 header (1023 bytes).");
                }
                var bytes = header.ToArray();
                BigEndian.Write(bytes, 8, (ulong)bytes.Length);
                BigEndian.Write(bytes, 16, (uint)name.Length);
                header = new List<byte>(bytes);
                header.AddRange(name);
            }
            file.Seek(0, SeekOrigin.Begin);
            file.Write(header.ToArray(), 0, header.Count);
        }

        public void Dispose()
        {
        }
    }

    internal static class BigEndian
    {
        public static void Write(byte[] b, int at, uint v)
        {
            b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v;
        }

        public static void Write(byte[] b, int at, ulong v)
        {
            Write(b, at, (uint)(v >> 32));
            Write(b, at + 4, (uint)v);
        }

        public static uint ReadUInt32(byte[] b, int at) => (uint)(b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3]);

        public static ulong ReadUInt64(byte[] b, int at) => (ulong)ReadUInt32(b, at) << 32 | ReadUInt32(b, at + 4);
    }
}
