using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Packaging
{
    /// <summary>
    /// Reads a tar archive one member at a time, front to back: the member's header (GNU long names and
    /// pax paths applied), then, if the caller wants them, its bytes through <see cref="ReadData"/>; what
    /// the caller leaves is skipped (by a seek on a seekable stream, else read and dropped). Works on a stream
    /// that cannot seek (a gzip layer as it is unpacked), so nothing is held whole. A broken archive ends
    /// in the error <c>invalid</c> makes, with the reason.
    /// </summary>
    internal sealed class TarStreamReader
    {
        private readonly Stream tar;
        private readonly Func<string, OsvException> invalid;
        private readonly long length;
        private readonly byte[] header = new byte[512];
        private long position;
        private long dataLeft;
        private long paddingLeft;
        private int members;

        public TarStreamReader(Stream tar, string source, Func<string, OsvException> invalid)
        {
            this.tar = tar;
            this.invalid = invalid;
            Source = source;
            length = tar.CanSeek ? tar.Length : long.MaxValue;
            position = tar.CanSeek ? tar.Position : 0;
        }

        public string Source { get; }

        /// <summary>The next member, or null at the end-of-archive marker.</summary>
        public TarEntry? Next()
        {
            Skip(dataLeft + paddingLeft);
            dataLeft = paddingLeft = 0;
            string? longName = null, longLink = null;
            Dictionary<string, string>? pax = null;
            while (true)
            {
                long at = position;
                int n = IO.StreamReading.ReadFully(tar, header, 0, 512);
                position += n;
                if (n == 0)
                {
                    // A complete archive ends with zero blocks; one that just stops was cut (a gzip cut
                    // at a flush point decompresses without complaint), and an empty file is no archive.
                    throw invalid(members == 0 && at == 0 ? "it is empty" : "it is truncated (no end-of-archive marker)");
                }
                if (TarReader.IsZero(header))
                {
                    return null;
                }
                if (n < 512)
                {
                    throw invalid("it ends inside a header");
                }
                if (!TarReader.ChecksumMatches(header))
                {
                    throw invalid($"the header at byte {at} has a wrong checksum");
                }
                long size = TarReader.ParseSize(TarReader.ParseNumber(header, 124, 12, invalid), length, invalid);
                char type = (char)header[156];
                if (position + Padded(size) > length)
                {
                    throw invalid("it is truncated");
                }
                if ((type == 'L' || type == 'K' || type == 'x') && size > TarReader.MaxMetaBytes)
                {
                    throw invalid($"a long name or pax header of {size} bytes is beyond the {TarReader.MaxMetaBytes} an archive may use");
                }
                switch (type)
                {
                    case 'L':
                        longName = ReadString(size);
                        continue;
                    case 'K':
                        longLink = ReadString(size);
                        continue;
                    case 'x':
                        pax = TarReader.ParsePax(ReadString(size));
                        continue;
                    case 'g':
                        Skip(Padded(size));
                        continue;
                }
                string name = longName ?? (pax != null && pax.TryGetValue("path", out var p) ? p : null) ?? TarReader.HeaderName(header);
                string link = longLink ?? (pax != null && pax.TryGetValue("linkpath", out var l) ? l : null) ?? TarReader.Field(header, 157, 100);
                if (pax != null && pax.TryGetValue("size", out var paxSize))
                {
                    size = TarReader.ParseSize(long.TryParse(paxSize, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : -1, length, invalid);
                    if (position + Padded(size) > length)
                    {
                        throw invalid("it is truncated");
                    }
                }
                var kind = type switch
                {
                    '0' or '\0' or '7' => TarEntryKind.File,
                    '5' => TarEntryKind.Directory,
                    '2' => TarEntryKind.Symlink,
                    '1' => TarEntryKind.HardLink,
                    _ => TarEntryKind.Other,
                };
                long mtime = TarReader.ParseNumber(header, 136, 12, invalid);
                long mode = TarReader.ParseNumber(header, 100, 8, invalid);
                members++;
                dataLeft = size;
                paddingLeft = Padded(size) - size;
                return new TarEntry(name, kind, kind == TarEntryKind.File ? size : 0, link, position,
                    DateTimeOffset.FromUnixTimeSeconds(Math.Max(0, Math.Min(mtime, 253402300799))).UtcDateTime, type, (int)(mode & 0xFFF));
            }
        }

        /// <summary>Reads up to <paramref name="count"/> bytes of the current member's data; 0 at its end.</summary>
        public int ReadData(byte[] buffer, int offset, int count)
        {
            if (dataLeft == 0)
            {
                return 0;
            }
            int n = tar.Read(buffer, offset, (int)Math.Min(count, dataLeft));
            if (n == 0)
            {
                throw invalid("it is truncated (a member's data ends early)");
            }
            dataLeft -= n;
            position += n;
            return n;
        }

        private static long Padded(long size) => (size + 511) / 512 * 512;

        private void Skip(long count)
        {
            if (count == 0)
            {
                return;
            }
            if (tar.CanSeek)
            {
                tar.Seek(count, SeekOrigin.Current);
                position += count;
                return;
            }
            var buffer = new byte[(int)Math.Min(count, 1 << 16)];
            while (count > 0)
            {
                int n = tar.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
                if (n == 0)
                {
                    throw invalid("it is truncated");
                }
                count -= n;
                position += n;
            }
        }

        private string ReadString(long size)
        {
            var bytes = new byte[size];
            int n = IO.StreamReading.ReadFully(tar, bytes, 0, bytes.Length);
            position += n;
            if (n < size)
            {
                throw invalid("it is truncated");
            }
            Skip(Padded(size) - size);
            return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
        }
    }
}
