using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace OsvPS.Core.Elf
{
    /// <summary>
    /// What a program carries beside its code, read without loading it: where a named section lies (section headers,
    /// which a loader never reads, so a damaged table only means "not found"), and which of some texts its bytes hold.
    /// </summary>
    internal static class ElfContents
    {
        private const int Chunk = 1 << 20;

        /// <summary>The file range of the 64-bit little-endian ELF section <paramref name="name"/>, or null when there is none (or no readable table).</summary>
        public static (long Offset, long Size)? Section(string path, string name)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
                {
                    return Section(stream, name);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static (long Offset, long Size)? Section(Stream stream, string name)
        {
            long length = stream.Length;
            var header = new byte[64];
            if (IO.StreamReading.ReadFully(stream, header, 0, 64) != 64 || header[4] != 2 || header[5] != 1)
            {
                return null;
            }
            long shoff = BitConverter.ToInt64(header, 40);
            int shentsize = BitConverter.ToUInt16(header, 58);
            int shnum = BitConverter.ToUInt16(header, 60);
            int shstrndx = BitConverter.ToUInt16(header, 62);
            if (shnum == 0 || shentsize != 64 || shoff <= 0 || shoff > length || (long)shnum * 64 > length - shoff || shstrndx >= shnum)
            {
                return null;
            }
            var table = new byte[shnum * 64];
            stream.Seek(shoff, SeekOrigin.Begin);
            if (IO.StreamReading.ReadFully(stream, table, 0, table.Length) != table.Length)
            {
                return null;
            }
            long namesOffset = BitConverter.ToInt64(table, shstrndx * 64 + 24);
            long namesSize = BitConverter.ToInt64(table, shstrndx * 64 + 32);
            if (namesOffset <= 0 || namesSize <= 0 || namesSize > 1 << 24 || namesOffset > length - namesSize)
            {
                return null;
            }
            var names = new byte[namesSize];
            stream.Seek(namesOffset, SeekOrigin.Begin);
            if (IO.StreamReading.ReadFully(stream, names, 0, names.Length) != names.Length)
            {
                return null;
            }
            var wanted = Encoding.ASCII.GetBytes(name + "\0");
            for (int i = 0; i < shnum; i++)
            {
                long at = BitConverter.ToUInt32(table, i * 64);
                long offset = BitConverter.ToInt64(table, i * 64 + 24);
                long size = BitConverter.ToInt64(table, i * 64 + 32);
                uint type = BitConverter.ToUInt32(table, i * 64 + 4);
                // SHT_NOBITS (8) has no bytes in the file.
                if (type != 8 && at + wanted.Length <= names.Length && names.AsSpan((int)at, wanted.Length).SequenceEqual(wanted) &&
                    offset >= 0 && size >= 0 && offset <= length - size)
                {
                    return (offset, size);
                }
            }
            return null;
        }

        /// <summary>
        /// Which of <paramref name="texts"/> occur in the bytes <paramref name="offset"/>..+<paramref name="size"/> of
        /// <paramref name="path"/> (the whole file when <paramref name="size"/> is negative); an unreadable file holds none.
        /// </summary>
        public static ISet<string> Find(string path, IReadOnlyCollection<string> texts, long offset = 0, long size = -1)
        {
            var found = new HashSet<string>(StringComparer.Ordinal);
            var needles = new List<(string Text, byte[] Bytes)>();
            int longest = 1;
            foreach (string text in texts)
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                needles.Add((text, bytes));
                longest = Math.Max(longest, bytes.Length);
            }
            if (needles.Count == 0)
            {
                return found;
            }
            try
            {
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
                {
                    long end = size < 0 ? stream.Length : Math.Min(stream.Length, offset + size);
                    stream.Seek(offset, SeekOrigin.Begin);
                    // Each window keeps the last longest-1 bytes of the one before, so no text is cut in two.
                    var window = new byte[Chunk + longest];
                    int kept = 0;
                    long at = offset;
                    while (at < end && found.Count < needles.Count)
                    {
                        int want = (int)Math.Min(Chunk, end - at);
                        int got = IO.StreamReading.ReadFully(stream, window, kept, want);
                        if (got <= 0)
                        {
                            break;
                        }
                        at += got;
                        var span = new ReadOnlySpan<byte>(window, 0, kept + got);
                        foreach (var (text, bytes) in needles)
                        {
                            if (!found.Contains(text) && span.IndexOf(bytes) >= 0)
                            {
                                found.Add(text);
                            }
                        }
                        kept = Math.Min(longest - 1, span.Length);
                        Buffer.BlockCopy(window, span.Length - kept, window, 0, kept);
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return found;
            }
            return found;
        }
    }
}
