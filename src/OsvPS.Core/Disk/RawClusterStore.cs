using System.IO;

namespace OsvPS.Core.Disk
{
    /// <summary>A raw disk image: each cluster at its own offset, holes where the disk is zero.</summary>
    internal sealed class RawClusterStore : IClusterStore
    {
        private readonly FileStream file;
        private long next;

        public RawClusterStore(FileStream file) => this.file = file;

        public void WriteCluster(long index, byte[] cluster)
        {
            long offset = index * cluster.Length;
            if (offset != next)
            {
                file.Seek(offset, SeekOrigin.Begin);
            }
            file.Write(cluster, 0, cluster.Length);
            next = offset + cluster.Length;
        }

        public void Complete(long virtualSize) => file.SetLength(virtualSize);

        public void Dispose()
        {
        }
    }
}
