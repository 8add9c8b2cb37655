using System;
using System.Collections.Generic;
using System.Text;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Rofs
{
    /// <summary>Reads folder listings from the ROFS partition of an OSv disk (to learn an image's config sets).</summary>
    internal static class RofsIndex
    {
        /// <summary>The names in <paramref name="folder"/> of the image's file system; empty when there is no such folder or no ROFS.</summary>
        public static IReadOnlyList<string> List(DiskReader disk, string folder)
        {
            byte[] boot = disk.Read(0, 512);
            long start = BitConverter.ToUInt32(boot, OsvDiskLayout.PartitionEntryOffset + 8) * 512L;
            if (boot[OsvDiskLayout.PartitionEntryOffset + 4] == 0 || start == 0)
            {
                return new string[0];
            }
            byte[] super = disk.Read(start, 64);
            if (BitConverter.ToUInt64(super, 0) != RofsWriter.Magic)
            {
                return new string[0];
            }
            long structure = start + (long)BitConverter.ToUInt64(super, 24) * 512;
            long blocks = (long)BitConverter.ToUInt64(super, 32);
            long entryCount = (long)BitConverter.ToUInt64(super, 40);
            long linkCount = (long)BitConverter.ToUInt64(super, 48);
            long inodeCount = (long)BitConverter.ToUInt64(super, 56);
            if (blocks < 0 || blocks * 512 > 256L * 1024 * 1024 || structure < start || entryCount < 0 || linkCount < 0 || inodeCount < 0 ||
                entryCount > blocks * 512 / 10 || linkCount > blocks * 512 / 2 || inodeCount > blocks * 512 / 32)
            {
                throw Invalid("its tables are implausible (negative or larger than their blocks)");
            }
            byte[] t = disk.Read(structure, (int)(blocks * 512));
            try
            {
                return Names(t, entryCount, linkCount, inodeCount, folder);
            }
            catch (Exception e) when (e is ArgumentException || e is IndexOutOfRangeException || e is OverflowException)
            {
                throw Invalid("an entry points outside its tables");
            }
        }

        private static OsvException Invalid(string why)
            => new OsvException(ErrorIds.DiskImageInvalid, OsvErrorKind.InvalidData, $"the image's file system is damaged: {why}.", null);

        private static IReadOnlyList<string> Names(byte[] t, long entryCount, long linkCount, long inodeCount, string folder)
        {
            int at = 0;
            var entries = new List<KeyValuePair<long, string>>();
            for (long i = 0; i < entryCount; i++)
            {
                long inode = (long)BitConverter.ToUInt64(t, at);
                int length = BitConverter.ToUInt16(t, at + 8);
                entries.Add(new KeyValuePair<long, string>(inode, Encoding.UTF8.GetString(t, at + 10, length)));
                at += 10 + length;
            }
            for (long i = 0; i < linkCount; i++)
            {
                at += 2 + BitConverter.ToUInt16(t, at);
            }
            int inodes = at;
            long Mode(long inode) => BitConverter.ToUInt32(t, inodes + (int)(inode - 1) * 32);
            long Offset(long inode) => (long)BitConverter.ToUInt64(t, inodes + (int)(inode - 1) * 32 + 16);
            long Count(long inode) => (long)BitConverter.ToUInt64(t, inodes + (int)(inode - 1) * 32 + 24);

            long current = 1;
            foreach (string part in ImageTree.Split(folder))
            {
                long next = 0;
                for (long e = Offset(current); e < Offset(current) + Count(current); e++)
                {
                    if (entries[(int)e].Value == part)
                    {
                        next = entries[(int)e].Key;
                    }
                }
                if (next == 0 || next > inodeCount || Mode(next) != 0x4000)
                {
                    return new string[0];
                }
                current = next;
            }
            var names = new List<string>();
            for (long e = Offset(current); e < Offset(current) + Count(current); e++)
            {
                names.Add(entries[(int)e].Value);
            }
            return names;
        }
    }
}
