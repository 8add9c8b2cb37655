using System;

namespace OsvPS.Core.Disk
{
    /// <summary>Receives the non-zero clusters of a virtual disk, in increasing order.</summary>
    internal interface IClusterStore : IDisposable
    {
        void WriteCluster(long index, byte[] cluster);

        /// <summary>Ends the image; <paramref name="virtualSize"/> is the disk's size in bytes.</summary>
        void Complete(long virtualSize);
    }

    /// <summary>
    /// Cuts a sequential byte stream into clusters, drops the all-zero ones (so outputs are sparse)
    /// and hands the rest to an <see cref="IClusterStore"/>.
    /// </summary>
    internal sealed class ClusterWriter : IByteSink, IDisposable
    {
        public const int ClusterSize = 1 << 16;

        private readonly IClusterStore store;
        private readonly byte[] cluster = new byte[ClusterSize];
        private int fill;
        private long clusterIndex;

        public ClusterWriter(IClusterStore store) => this.store = store;

        public long Position => clusterIndex * ClusterSize + fill;

        public void Write(byte[] buffer, int offset, int count)
        {
            while (count > 0)
            {
                int n = Math.Min(count, ClusterSize - fill);
                Buffer.BlockCopy(buffer, offset, cluster, fill, n);
                fill += n;
                offset += n;
                count -= n;
                if (fill == ClusterSize)
                {
                    Flush();
                }
            }
        }

        public void WriteZeros(long count)
        {
            while (count > 0)
            {
                if (fill == 0 && count >= ClusterSize)
                {
                    long whole = count / ClusterSize;
                    clusterIndex += whole;
                    count -= whole * ClusterSize;
                    continue;
                }
                int n = (int)Math.Min(count, ClusterSize - fill);
                Array.Clear(cluster, fill, n);
                fill += n;
                count -= n;
                if (fill == ClusterSize)
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
                Array.Clear(cluster, fill, ClusterSize - fill);
                Flush();
            }
            store.Complete(size);
        }

        private void Flush()
        {
            if (!IsZero(cluster))
            {
                store.WriteCluster(clusterIndex, cluster);
            }
            clusterIndex++;
            fill = 0;
        }

        internal static unsafe bool IsZero(byte[] data)
        {
            fixed (byte* p = data)
            {
                ulong* q = (ulong*)p;
                int n = data.Length / 8;
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
