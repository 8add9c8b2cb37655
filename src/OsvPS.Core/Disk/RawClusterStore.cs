using System.IO;

namespace OsvPS.Core.Disk
{
    /// <summary>A raw disk image: each cluster at its own offset, holes where the disk is zero.</summary>
    internal sealed class RawClusterStore : IClusterStore
    {
        private readonly FileStream file;
        private long next;

        public RawClusterStore(FileStream file) => this.file = file;

        public void WriteClusters(long first, byte[] buffer, int offset, int clusters)
        {
            long at = first * ClusterWriter.ClusterSize;
            if (at != next)
            {
                file.Seek(at, SeekOrigin.Begin);
            }
            file.Write(buffer, offset, clusters * ClusterWriter.ClusterSize);
            next = at + clusters * ClusterWriter.ClusterSize;
        }

        public void Complete(long virtualSize) => file.SetLength(virtualSize);

        public void Dispose()
        {
        }
    }
}
