using System;
using System.IO;
using System.Text;
using System.Threading;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Disk
{
    /// <summary>
    /// The byte layout an OSv loader expects: its boot sector, the command line from byte 512,
    /// the compressed kernel from byte 65536, and the file system in MBR partition 2 at the next
    /// 2 MiB boundary. The facts come from OSv's arch/x64/boot16.S and scripts/imgedit.py.
    /// </summary>
    internal static class OsvDiskLayout
    {
        /// <summary>The longest command line the boot code reads: 63 sectors from byte 512, less the NUL.</summary>
        public const int MaxCommandLineBytes = 63 * 512 - 1;

        /// <summary>Refuses a command line the boot code cannot read whole.</summary>
        public static void CheckLength(string commandLine)
        {
            int bytes = System.Text.Encoding.UTF8.GetByteCount(commandLine);
            if (bytes > MaxCommandLineBytes)
            {
                throw new Errors.OsvException(Errors.ErrorIds.CommandLineTooLong, Errors.OsvErrorKind.LimitsExceeded,
                    $"the command line is {bytes} bytes; the OSv loader reads at most {MaxCommandLineBytes}.", commandLine.Substring(0, 80) + "...");
            }
        }

        public const int SectorSize = 512;
        public const int CommandLineOffset = 512;
        public const int LoaderSizeOffset = 0x10;
        public const int LoaderSizeUnit = 32 * 1024;
        /// <summary>Where the compressed kernel (lzloader.elf) starts; the size word counts from here.</summary>
        public const int KernelOffset = 64 * 1024;
        public const int PartitionEntryOffset = 0x1CE;
        public const long PartitionAlignment = 2L * 1024 * 1024;

        /// <summary>
        /// The loader's size in bytes: the compressed kernel's offset plus the size word at 0x10 (in
        /// 32 KiB units, as imgedit.py setsize writes it). The word counts the kernel only: an image cut
        /// at units x 32 KiB loses the kernel's last 64 KiB and hangs after "Booting from Hard Disk".
        /// </summary>
        public static long LoaderSize(byte[] bootSector, string source)
        {
            if (bootSector.Length < SectorSize || bootSector[510] != 0x55 || bootSector[511] != 0xAA)
            {
                throw new OsvException(ErrorIds.LoaderImageInvalid, OsvErrorKind.InvalidData,
                    $"'{source}' is not an OSv loader: its first sector has no boot signature (0x55 0xAA at byte 510).", source);
            }
            int units = bootSector[LoaderSizeOffset] | bootSector[LoaderSizeOffset + 1] << 8;
            if (units == 0)
            {
                throw new OsvException(ErrorIds.LoaderImageInvalid, OsvErrorKind.InvalidData,
                    $"'{source}' is not an OSv loader: the loader size word at byte 0x10 is zero.", source);
            }
            return KernelOffset + (long)units * LoaderSizeUnit;
        }

        /// <summary>The loader's size, checked against the bytes <paramref name="loader"/> really holds.</summary>
        public static long LoaderSize(DiskReader loader, string source)
        {
            long size = LoaderSize(loader.Read(0, SectorSize), source);
            if (loader.VirtualSize < size)
            {
                throw new OsvException(ErrorIds.LoaderImageInvalid, OsvErrorKind.InvalidData,
                    $"'{source}' is cut short: its boot sector declares {size} bytes of loader, the file holds {loader.VirtualSize}.", source);
            }
            return size;
        }

        /// <summary>Where the file system starts: the loader's size rounded up to 2 MiB.</summary>
        public static long PartitionStart(long loaderSize) => (loaderSize + PartitionAlignment - 1) / PartitionAlignment * PartitionAlignment;

        /// <summary>Writes MBR partition entry 2 (type 0x83) into <paramref name="bootSector"/>.</summary>
        public static void WritePartitionEntry(byte[] bootSector, long startSector, long sectorCount)
        {
            if (startSector > uint.MaxValue || sectorCount > uint.MaxValue || startSector + sectorCount > (1L << 32))
            {
                throw new OsvException(ErrorIds.ImageTooLarge, OsvErrorKind.LimitsExceeded,
                    "the file system does not fit an MBR partition (2 TiB at most).", sectorCount);
            }
            int e = PartitionEntryOffset;
            bootSector[e] = 0; // not active
            Chs(startSector).CopyTo(bootSector, e + 1);
            bootSector[e + 4] = 0x83;
            Chs(Math.Max(startSector, startSector + sectorCount - 1)).CopyTo(bootSector, e + 5);
            WriteU32(bootSector, e + 8, (uint)startSector);
            WriteU32(bootSector, e + 12, (uint)sectorCount);
            bootSector[510] = 0x55;
            bootSector[511] = 0xAA;
        }

        /// <summary>CHS address of an LBA sector with 255 heads and 63 sectors a track, clamped to 1023/254/63.</summary>
        public static byte[] Chs(long lba)
        {
            long cylinder = lba / (255 * 63);
            long head = lba / 63 % 255;
            long sector = lba % 63 + 1;
            if (cylinder > 1023)
            {
                cylinder = 1023;
                head = 254;
                sector = 63;
            }
            return new[] { (byte)head, (byte)((sector & 0x3F) | ((cylinder >> 2) & 0xC0)), (byte)(cylinder & 0xFF) };
        }

        /// <summary>The command line's bytes as stored: text, NUL, zeros to the end of the last sector.</summary>
        public static byte[] CommandLineSectors(string commandLine)
        {
            CheckLength(commandLine);
            byte[] text = Encoding.UTF8.GetBytes(commandLine);
            int length = (text.Length + 1 + SectorSize - 1) / SectorSize * SectorSize;
            var sectors = new byte[length];
            Buffer.BlockCopy(text, 0, sectors, 0, text.Length);
            return sectors;
        }

        /// <summary>Reads the command line stored in a disk image (up to its NUL).</summary>
        public static string ReadCommandLine(DiskReader disk)
        {
            byte[] area = disk.Read(CommandLineOffset, MaxCommandLineBytes + 1);
            int end = Array.IndexOf(area, (byte)0);
            return Encoding.UTF8.GetString(area, 0, end < 0 ? area.Length : end);
        }

        /// <summary>
        /// Writes the whole disk: loader (with the command line and partition entry), zeros, then
        /// <paramref name="fileSystemBytes"/> bytes produced by <paramref name="writeFileSystem"/>.
        /// </summary>
        public static void Compose(DiskReader loader, string loaderSource, string commandLine, long fileSystemBytes,
            Action<IByteSink> writeFileSystem, IByteSink sink, CancellationToken cancellation)
        {
            long loaderSize = LoaderSize(loader, loaderSource);
            byte[] boot = loader.Read(0, SectorSize);
            long partitionStart = PartitionStart(loaderSize);
            WritePartitionEntry(boot, partitionStart / SectorSize, fileSystemBytes / SectorSize);
            sink.Write(boot, 0, SectorSize);

            byte[] command = CommandLineSectors(commandLine);
            sink.Write(command, 0, command.Length);

            long copyEnd = loaderSize;
            var buffer = new byte[1 << 20];
            long at = sink.Position;
            while (at < copyEnd)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = (int)Math.Min(buffer.Length, copyEnd - at);
                loader.Read(at, buffer, 0, n);
                sink.Write(buffer, 0, n);
                at += n;
            }
            sink.WriteZeros(partitionStart - sink.Position);
            writeFileSystem(sink);
            if (sink.Position != partitionStart + fileSystemBytes)
            {
                throw new InvalidOperationException($"the file system wrote {sink.Position - partitionStart} bytes, {fileSystemBytes} were planned.");
            }
        }

        private static void WriteU32(byte[] b, int at, uint v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24);
        }

        /// <summary>Opens <paramref name="path"/> for a new image and returns the sink writing <paramref name="format"/> (raw or qcow2).</summary>
        internal static ClusterWriter CreateWriter(FileStream file, DiskFormat format)
            => new ClusterWriter(format == DiskFormat.Raw ? (IClusterStore)new RawClusterStore(file) : new Qcow2ClusterStore(file));
    }
}
