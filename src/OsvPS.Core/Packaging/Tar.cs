using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Packaging
{
    internal enum TarEntryKind
    {
        File,
        Directory,
        Symlink,
        HardLink,
        Other,
    }

    /// <summary>One member of a tar archive; its data lies at <see cref="DataOffset"/> in the uncompressed archive.</summary>
    internal sealed class TarEntry
    {
        public TarEntry(string name, TarEntryKind kind, long size, string linkTarget, long dataOffset, DateTime modified, char typeFlag = '0', int mode = 0x1A4)
        {
            TypeFlag = typeFlag;
            Mode = mode;
            Name = name;
            Kind = kind;
            Size = size;
            LinkTarget = linkTarget;
            DataOffset = dataOffset;
            Modified = modified;
        }

        public string Name { get; }
        public TarEntryKind Kind { get; }
        public long Size { get; }
        public string LinkTarget { get; }
        public long DataOffset { get; }
        public DateTime Modified { get; }
        /// <summary>The header's type byte ('0' file, '5' folder, '3' character device, '6' FIFO, ...).</summary>
        public char TypeFlag { get; }
        /// <summary>The permission bits of the header (with set-id and sticky bits).</summary>
        public int Mode { get; }
    }

    /// <summary>
    /// Reads the member list of a POSIX ustar / GNU / pax tar archive from a seekable stream.
    /// Why our own and not SharpZipLib's TarArchive/TarInputStream: image composition streams each
    /// member's bytes by offset from the decompressed package cache straight into the ROFS writer, and
    /// resolves hard links to the member they name; SharpZipLib reads tar forward only and does not
    /// give members' data offsets, so it would mean extracting every package to disk first. GNU long
    /// names and pax paths are the two extensions packages use, and both are read here.
    /// </summary>
    internal static class TarReader
    {
        public static List<TarEntry> ReadEntries(Stream tar, string source)
        {
            var entries = new List<TarEntry>();
            var reader = new TarStreamReader(tar, source, why => Invalid(source, why));
            while (reader.Next() is TarEntry entry)
            {
                entries.Add(entry);
            }
            return entries;
        }

        /// <summary>Long names and pax headers are small; a bigger one is a broken or hostile archive.</summary>
        internal const long MaxMetaBytes = 1 << 20;

        // A member size must be a count of bytes the archive can hold: a negative base-256 size once
        // made the reader walk backwards for ever.
        internal static long ParseSize(long size, long archiveLength, Func<string, OsvException> invalid)
        {
            if (size < 0 || size > archiveLength)
            {
                throw invalid($"a member's size ({size}) does not fit the archive");
            }
            return size;
        }

        private static OsvException Invalid(string source, string why)
            => new OsvException(ErrorIds.PackageInvalid, OsvErrorKind.InvalidData, $"'{source}' is not a valid package archive: {why}.", source);

        internal static bool IsZero(byte[] b)
        {
            foreach (byte x in b)
            {
                if (x != 0)
                {
                    return false;
                }
            }
            return true;
        }

        internal static bool ChecksumMatches(byte[] h)
        {
            long sum = 0;
            for (int i = 0; i < 512; i++)
            {
                sum += i >= 148 && i < 156 ? 32 : h[i];
            }
            string field = Field(h, 148, 8).Trim(' ', '\0');
            try
            {
                return field.Length > 0 && Convert.ToInt64(field, 8) == sum;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        internal static long ParseNumber(byte[] h, int at, int length, Func<string, OsvException> invalid)
        {
            if ((h[at] & 0x80) != 0)
            {
                // Base-256: the first byte's 0x40 bit is the sign; more than 63 bits is no size or time.
                if ((h[at] & 0x40) != 0)
                {
                    return -1;
                }
                long v = h[at] & 0x3F;
                for (int i = 1; i < length; i++)
                {
                    if (v > (long.MaxValue >> 8))
                    {
                        throw invalid("a base-256 number is too large");
                    }
                    v = v << 8 | h[at + i];
                }
                return v;
            }
            string text = Field(h, at, length).Trim(' ', '\0');
            if (text.Length == 0)
            {
                return 0;
            }
            try
            {
                return Convert.ToInt64(text, 8);
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException || e is OverflowException)
            {
                throw invalid($"'{text}' is not an octal number");
            }
        }

        internal static string HeaderName(byte[] h)
        {
            string name = Field(h, 0, 100);
            bool ustar = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r' && h[262] == 0;
            string prefix = ustar ? Field(h, 345, 155) : "";
            return prefix.Length > 0 ? prefix + "/" + name : name;
        }

        internal static string Field(byte[] h, int at, int length)
        {
            int end = at;
            while (end < at + length && h[end] != 0)
            {
                end++;
            }
            return Encoding.UTF8.GetString(h, at, end - at);
        }

        internal static Dictionary<string, string> ParsePax(string text)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            int at = 0;
            while (at < text.Length)
            {
                int space = text.IndexOf(' ', at);
                if (space < 0 || !int.TryParse(text.Substring(at, space - at), NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length <= 0)
                {
                    break;
                }
                // The length counts bytes; these records are ASCII in practice, and a mismatch just ends the parse.
                string record = text.Substring(space + 1, Math.Max(0, Math.Min(text.Length, at + length) - space - 2));
                int eq = record.IndexOf('=');
                if (eq > 0)
                {
                    result[record.Substring(0, eq)] = record.Substring(eq + 1);
                }
                at += length;
            }
            return result;
        }
    }

    /// <summary>Writes ustar archives (GNU long-name records for long names), for packages OsvPS makes.</summary>
    internal sealed class TarWriter : IDisposable
    {
        private readonly Stream output;

        public TarWriter(Stream output) => this.output = output;

        public void AddDirectory(string name, DateTime modified) => Header(name.TrimEnd('/') + "/", '5', 0, "", 0x1ED, modified);

        public void AddSymlink(string name, string target, DateTime modified) => Header(name, '2', 0, target, 0x1FF, modified);

        public void AddFile(string name, Stream content, long length, DateTime modified, int mode = 0x1A4)
        {
            Header(name, '0', length, "", mode, modified);
            var buffer = new byte[1 << 16];
            long left = length;
            while (left > 0)
            {
                int n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0)
                {
                    throw new IOException($"'{name}' ended {left} bytes early.");
                }
                output.Write(buffer, 0, n);
                left -= n;
            }
            Pad(length);
        }

        public void AddFile(string name, byte[] content, DateTime modified)
        {
            using (var m = new MemoryStream(content))
            {
                AddFile(name, m, content.Length, modified);
            }
        }

        /// <summary>Writes the two zero blocks that end an archive.</summary>
        public void Finish() => output.Write(new byte[1024], 0, 1024);

        private void Header(string name, char type, long size, string link, int mode, DateTime modified)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            byte[] linkBytes = Encoding.UTF8.GetBytes(link);
            if (nameBytes.Length > 100)
            {
                LongRecord('L', nameBytes);
            }
            if (linkBytes.Length > 100)
            {
                LongRecord('K', linkBytes);
            }
            var h = new byte[512];
            Buffer.BlockCopy(nameBytes, 0, h, 0, Math.Min(100, nameBytes.Length));
            Octal(h, 100, 8, mode);
            Octal(h, 108, 8, 0);
            Octal(h, 116, 8, 0);
            Octal(h, 124, 12, size);
            Octal(h, 136, 12, Math.Max(0, new DateTimeOffset(modified.ToUniversalTime()).ToUnixTimeSeconds()));
            h[156] = (byte)type;
            Buffer.BlockCopy(linkBytes, 0, h, 157, Math.Min(100, linkBytes.Length));
            Encoding.ASCII.GetBytes("ustar\0").CopyTo(h, 257);
            h[263] = (byte)'0';
            h[264] = (byte)'0';
            Encoding.ASCII.GetBytes("root").CopyTo(h, 265);
            Encoding.ASCII.GetBytes("root").CopyTo(h, 297);
            long sum = 0;
            for (int i = 0; i < 512; i++)
            {
                sum += i >= 148 && i < 156 ? 32 : h[i];
            }
            Octal(h, 148, 7, sum);
            h[155] = (byte)' ';
            output.Write(h, 0, 512);
        }

        private void LongRecord(char type, byte[] value)
        {
            Header("././@LongLink", type, value.Length + 1, "", 0x1A4, new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            output.Write(value, 0, value.Length);
            output.WriteByte(0);
            Pad(value.Length + 1);
        }

        private void Pad(long length)
        {
            int pad = (int)((512 - length % 512) % 512);
            output.Write(new byte[pad], 0, pad);
        }

        private static void Octal(byte[] h, int at, int length, long value)
        {
            string text = Convert.ToString(value, 8).PadLeft(length - 1, '0');
            if (text.Length > length - 1)
            {
                // Base-256 for values that octal cannot hold (files over 8 GiB).
                for (int i = length - 1; i > 0; i--)
                {
                    h[at + i] = (byte)value;
                    value >>= 8;
                }
                h[at] = 0x80;
                return;
            }
            Encoding.ASCII.GetBytes(text).CopyTo(h, at);
        }

        public void Dispose() => output.Flush();
    }
}
