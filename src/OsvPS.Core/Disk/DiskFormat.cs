using System;
using System.IO;
using System.Text;

namespace OsvPS.Core.Disk
{
    /// <summary>Disk image formats OsvPS recognises.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum DiskFormat
    {
        Raw,
        Qcow2,
        Vmdk,
        Vdi,
        Vhdx,
    }

    /// <summary>Recognises image formats by their magic bytes, never by file name.</summary>
    internal static class DiskFormats
    {
        public static DiskFormat Detect(string path)
        {
            using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                var head = new byte[512];
                int n = IO.StreamReading.ReadFully(f, head, 0, head.Length);
                return Detect(head, n);
            }
        }

        public static DiskFormat Detect(byte[] head, int length)
        {
            if (length >= 4 && head[0] == 'Q' && head[1] == 'F' && head[2] == 'I' && head[3] == 0xfb)
            {
                return DiskFormat.Qcow2;
            }
            if (length >= 4 && head[0] == 'K' && head[1] == 'D' && head[2] == 'M' && head[3] == 'V')
            {
                return DiskFormat.Vmdk;
            }
            if (length >= 21 && Encoding.ASCII.GetString(head, 0, 21) == "# Disk DescriptorFile")
            {
                return DiskFormat.Vmdk;
            }
            if (length >= 0x44 && BitConverter.ToUInt32(head, 0x40) == 0xbeda107f)
            {
                return DiskFormat.Vdi;
            }
            if (length >= 8 && Encoding.ASCII.GetString(head, 0, 8) == "vhdxfile")
            {
                return DiskFormat.Vhdx;
            }
            return DiskFormat.Raw;
        }

        /// <summary>The disk's size as the guest sees it, when the format says so cheaply; null otherwise.</summary>
        public static long? VirtualSize(string path, DiskFormat format)
        {
            switch (format)
            {
                case DiskFormat.Raw:
                    return new FileInfo(path).Length;
                case DiskFormat.Qcow2:
                    using (var reader = new Qcow2Reader(path))
                    {
                        return reader.VirtualSize;
                    }
                case DiskFormat.Vmdk:
                case DiskFormat.Vdi:
                    using (var f = File.OpenRead(path))
                    {
                        var head = new byte[0x180];
                        int n = IO.StreamReading.ReadFully(f, head, 0, head.Length);
                        if (format == DiskFormat.Vmdk && n >= 20 && head[0] == 'K')
                        {
                            return (long)BitConverter.ToUInt64(head, 12) * 512;
                        }
                        if (format == DiskFormat.Vdi && n >= 0x178)
                        {
                            return (long)BitConverter.ToUInt64(head, 0x170);
                        }
                        return null;
                    }
                default:
                    return null;
            }
        }

        public static string FileExtension(DiskFormat format) => format == DiskFormat.Raw || format == DiskFormat.Qcow2 ? ".qemu" : "." + format.ToString().ToLowerInvariant();
    }
}
