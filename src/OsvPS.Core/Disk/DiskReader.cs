using System;
using System.IO;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Disk
{
    /// <summary>Reads bytes of a raw or qcow2 disk at virtual offsets.</summary>
    internal abstract class DiskReader : IDisposable
    {
        public abstract long VirtualSize { get; }

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; beyond the end reads as zeros.</summary>
        public abstract void Read(long offset, byte[] buffer, int index, int count);

        public byte[] Read(long offset, int count)
        {
            var b = new byte[count];
            Read(offset, b, 0, count);
            return b;
        }

        public abstract void Dispose();

        /// <summary>Opens a raw or qcow2 file; other formats are refused with the way to convert them.</summary>
        public static DiskReader Open(string path)
        {
            var format = DiskFormats.Detect(path);
            switch (format)
            {
                case DiskFormat.Raw:
                    return new RawReader(path);
                case DiskFormat.Qcow2:
                    return new Qcow2Reader(path);
                default:
                    throw new OsvException(ErrorIds.DiskFormatNotSupported, OsvErrorKind.InvalidData,
                        $"'{path}' is a {format.ToString().ToLowerInvariant()} image; only raw and qcow2 can be read here. Convert it with 'qemu-img convert -O qcow2'.", path);
            }
        }

        private sealed class RawReader : DiskReader
        {
            private readonly FileStream file;

            public RawReader(string path) => file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

            public override long VirtualSize => file.Length;

            public override void Read(long offset, byte[] buffer, int index, int count)
            {
                Array.Clear(buffer, index, count);
                if (offset >= file.Length)
                {
                    return;
                }
                file.Seek(offset, SeekOrigin.Begin);
                IO.StreamReading.ReadFully(file, buffer, index, count);
            }

            public override void Dispose() => file.Dispose();
        }
    }

    /// <summary>A qcow2 reader (versions 2 and 3) for uncompressed, backing-free images such as OSv loaders.</summary>
    internal sealed class Qcow2Reader : DiskReader
    {
        private readonly FileStream file;
        private readonly string path;
        /// <summary>The largest disk OsvPS reads or writes: an MBR partition ends at 2 TiB, and 64 TiB leaves room for any image.</summary>
        public const long MaxVirtualSize = 64L << 40;

        private readonly int clusterBits;
        private readonly ulong[] l1;
        private long cachedL2Offset = -1;
        private readonly byte[] l2;

        public Qcow2Reader(string path)
        {
            this.path = path;
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            try
            {
                var h = new byte[104];
                if (IO.StreamReading.ReadFully(file, h, 0, h.Length) < 72 || h[0] != 'Q' || h[1] != 'F' || h[2] != 'I' || h[3] != 0xfb)
                {
                    throw Invalid("it does not start with a qcow2 header");
                }
                uint version = BigEndian.ReadUInt32(h, 4);
                if (version != 2 && version != 3)
                {
                    throw Invalid($"qcow2 version {version} is not supported");
                }
                if (BigEndian.ReadUInt64(h, 8) != 0)
                {
                    throw Invalid("it has a backing file; flatten it with 'qemu-img convert -O qcow2'");
                }
                clusterBits = (int)BigEndian.ReadUInt32(h, 20);
                if (clusterBits < 9 || clusterBits > 21)
                {
                    throw Invalid($"cluster_bits {clusterBits} is out of range");
                }
                if (BigEndian.ReadUInt32(h, 32) != 0)
                {
                    throw Invalid("it is encrypted");
                }
                VirtualSize = (long)BigEndian.ReadUInt64(h, 24);
                if (VirtualSize < 0 || VirtualSize > MaxVirtualSize)
                {
                    throw Invalid($"its virtual size ({BigEndian.ReadUInt64(h, 24)} bytes) is beyond the {MaxVirtualSize >> 40} TiB OsvPS handles");
                }
                uint l1Size = BigEndian.ReadUInt32(h, 36);
                long l1Offset = (long)BigEndian.ReadUInt64(h, 40);
                if (l1Size > (1 << 24) || l1Offset < 0 || l1Offset + l1Size * 8L > file.Length)
                {
                    throw Invalid("its L1 table lies outside the file");
                }
                var raw = new byte[l1Size * 8];
                file.Seek(l1Offset, SeekOrigin.Begin);
                IO.StreamReading.ReadFully(file, raw, 0, raw.Length);
                l1 = new ulong[l1Size];
                for (int i = 0; i < l1Size; i++)
                {
                    l1[i] = BigEndian.ReadUInt64(raw, i * 8);
                }
                l2 = new byte[1 << clusterBits];
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }


        public override long VirtualSize { get; }

        private OsvException Invalid(string why) => new OsvException(ErrorIds.DiskImageInvalid, OsvErrorKind.InvalidData, $"'{path}' is not a usable qcow2 image: {why}.", path);

        public override void Read(long offset, byte[] buffer, int index, int count)
        {
            long clusterSize = 1L << clusterBits;
            long entriesPerL2 = clusterSize / 8;
            Array.Clear(buffer, index, count);
            while (count > 0)
            {
                long cluster = offset >> clusterBits;
                int within = (int)(offset & (clusterSize - 1));
                int n = (int)Math.Min(count, clusterSize - within);
                if (offset < VirtualSize)
                {
                    long l1Index = cluster / entriesPerL2;
                    ulong l1Entry = l1Index < l1.Length ? l1[l1Index] : 0;
                    long l2Offset = (long)(l1Entry & 0x00fffffffffffe00UL);
                    if (l2Offset != 0)
                    {
                        if (l2Offset != cachedL2Offset)
                        {
                            file.Seek(l2Offset, SeekOrigin.Begin);
                            IO.StreamReading.ReadFully(file, l2, 0, l2.Length);
                            cachedL2Offset = l2Offset;
                        }
                        ulong entry = BigEndian.ReadUInt64(l2, (int)(cluster % entriesPerL2) * 8);
                        if ((entry & (1UL << 62)) != 0)
                        {
                            throw Invalid("it holds compressed clusters; expand it with 'qemu-img convert -O qcow2'");
                        }
                        long data = (long)(entry & 0x00fffffffffffe00UL);
                        bool zero = (entry & 1) != 0;
                        if (data != 0 && !zero)
                        {
                            file.Seek(data + within, SeekOrigin.Begin);
                            IO.StreamReading.ReadFully(file, buffer, index, n);
                        }
                    }
                }
                offset += n;
                index += n;
                count -= n;
            }
        }

        public override void Dispose() => file.Dispose();
    }
}
