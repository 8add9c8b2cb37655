using System;
using System.IO;

namespace OsvPS.Core.Disk
{
    /// <summary>Receives the non-zero clusters of a virtual disk, in increasing order.</summary>
    internal interface IClusterStore : IDisposable
    {
        /// <summary>Stores <paramref name="clusters"/> consecutive clusters starting at virtual cluster <paramref name="first"/>.</summary>
        void WriteClusters(long first, byte[] buffer, int offset, int clusters);

        /// <summary>Ends the image; <paramref name="virtualSize"/> is the disk's size in bytes.</summary>
        void Complete(long virtualSize);
    }

    /// <summary>
    /// Cuts a sequential byte stream into clusters, drops the all-zero ones (so outputs are sparse)
    /// and hands runs of the rest to an <see cref="IClusterStore"/>. Data is gathered in a 1 MiB
    /// buffer that sources read into directly, so file contents are copied once on their way out.
    /// </summary>
    internal sealed class ClusterWriter : IByteSink, IDisposable
    {
        public const int ClusterSize = 1 << 16;
        private const int BufferClusters = 16;

        private readonly IClusterStore store;
        private readonly byte[] buffer = new byte[ClusterSize * BufferClusters];
        private int fill;
        private long bufferStartCluster;

        public ClusterWriter(IClusterStore store) => this.store = store;

        public long Position => bufferStartCluster * ClusterSize + fill;

        public void Write(byte[] source, int offset, int count)
        {
            while (count > 0)
            {
                int n = Math.Min(count, buffer.Length - fill);
                Buffer.BlockCopy(source, offset, buffer, fill, n);
                fill += n;
                offset += n;
                count -= n;
                if (fill == buffer.Length)
                {
                    Flush();
                }
            }
        }

        public int CopyFrom(Stream source, int max)
        {
            int n = source.Read(buffer, fill, Math.Min(max, buffer.Length - fill));
            fill += n;
            if (fill == buffer.Length)
            {
                Flush();
            }
            return n;
        }

        public void WriteZeros(long count)
        {
            while (count > 0)
            {
                if (fill == 0 && count >= ClusterSize)
                {
                    long whole = count / ClusterSize;
                    bufferStartCluster += whole;
                    count -= whole * ClusterSize;
                    continue;
                }
                int n = (int)Math.Min(count, buffer.Length - fill);
                Array.Clear(buffer, fill, n);
                fill += n;
                count -= n;
                if (fill == buffer.Length)
                {
                    Flush();
                }
            }
        }

        /// <summary>Writes the last partial cluster (zero-padded) and completes the store.</summary>
        public void Complete()
        {
            long size = Position;
            if (fill > 0)
            {
                int end = (fill + ClusterSize - 1) / ClusterSize * ClusterSize;
                Array.Clear(buffer, fill, end - fill);
                fill = end;
                Flush();
            }
            store.Complete(size);
        }

        // Writes the buffer's whole clusters as runs of non-zero ones; a partial last cluster stays.
        private void Flush()
        {
            int clusters = fill / ClusterSize;
            int runStart = -1;
            for (int c = 0; c <= clusters; c++)
            {
                bool data = c < clusters && !IsZero(buffer, c * ClusterSize, ClusterSize);
                if (data && runStart < 0)
                {
                    runStart = c;
                }
                else if (!data && runStart >= 0)
                {
                    store.WriteClusters(bufferStartCluster + runStart, buffer, runStart * ClusterSize, c - runStart);
                    runStart = -1;
                }
            }
            int rest = fill - clusters * ClusterSize;
            Buffer.BlockCopy(buffer, clusters * ClusterSize, buffer, 0, rest);
            bufferStartCluster += clusters;
            fill = rest;
        }

        internal static unsafe bool IsZero(byte[] data, int offset, int count)
        {
            fixed (byte* p = &data[offset])
            {
                ulong* q = (ulong*)p;
                int n = count / 8;
                for (int i = 0; i < n; i += 4)
                {
                    if ((q[i] | q[i + 1] | q[i + 2] | q[i + 3]) != 0)
                    {
                        return false;
                    }
                }
            }
            return true;
        }

        public void Dispose() => store.Dispose();
    }
}
