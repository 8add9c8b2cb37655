using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Elf
{
    /// <summary>
    /// The dynamic symbol table (.dynsym) of a 64-bit little-endian ELF file: the names it defines
    /// (global, weak or GNU unique, with a section) and the names it needs (global and undefined;
    /// weak undefined ones may stay unresolved). Version names are dropped: OSv's lookup compares
    /// names only, but skips definitions of a hidden (non-default) version in objects with a GNU
    /// hash table (core/elf.cc, <c>lookup_symbol</c>), so those are kept apart.
    /// </summary>
    public sealed class DynamicSymbols
    {
        private const uint ShtDynsym = 11, ShtGnuHash = 0x6ffffff6, ShtGnuVersym = 0x6fffffff;
        private const ushort VersymHidden = 0x8000;
        private const int SymbolSize = 24;
        // Generous bounds: a .dynsym or .dynstr beyond them is not one a loader would read.
        private const long MaxTableBytes = 64L * 1024 * 1024;
        private const long MaxKernelBytes = 256L * 1024 * 1024;

        private DynamicSymbols(HashSet<string> defined, HashSet<string> hiddenOnly, List<string> needed, Dictionary<string, (ulong Value, ulong Size)>? values = null)
        {
            this.defined = defined;
            this.hiddenOnly = hiddenOnly;
            Needed = needed;
            this.values = values ?? new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
        }

        private readonly Dictionary<string, (ulong Value, ulong Size)> values;

        /// <summary>A defined symbol's value (its address, or an absolute symbol's value) and size; null when it is not defined.</summary>
        internal (ulong Value, ulong Size)? ValueOf(string name) => values.TryGetValue(name, out var found) ? found : ((ulong, ulong)?)null;

        public static readonly DynamicSymbols Empty = new DynamicSymbols(new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), new List<string>());

        private readonly HashSet<string> defined;
        // Defined names whose every definition is a hidden version in an object OSv searches by its GNU hash table.
        private readonly HashSet<string> hiddenOnly;

        /// <summary>True when OSv's lookup from another object finds <paramref name="name"/> here: defined, and not only as a hidden version.</summary>
        public bool DefinesForOsv(string name) => defined.Contains(name) && !hiddenOnly.Contains(name);

        /// <summary>Names the file defines for others (global, weak or unique).</summary>
        public IReadOnlyCollection<string> Defined => defined;

        public bool Defines(string name) => defined.Contains(name);
        /// <summary>Names the file needs from others (global and undefined), each once.</summary>
        public IReadOnlyList<string> Needed { get; }

        /// <summary>Reads the table of the ELF file at <paramref name="path"/>; a .gz file is decompressed first.</summary>
        public static DynamicSymbols Read(string path)
        {
            try
            {
                IO.UnixFile.RequireRegular(path, ErrorIds.FileReadFailed, ErrorIds.FileReadFailed);
                if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                {
                    using (var file = File.OpenRead(path))
                    using (var memory = new MemoryStream())
                    {
                        IO.Gzip.Unpack(file, memory, MaxKernelBytes, path, ErrorIds.ElfFormatInvalid);
                        memory.Position = 0;
                        return Read(memory, 0, memory.Length, path);
                    }
                }
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
                {
                    return Read(stream, 0, stream.Length, path);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read '{path}': {e.Message}", path, e);
            }
        }

        /// <summary>Reads the table of the ELF image at <paramref name="start"/> (of <paramref name="length"/> bytes) in <paramref name="stream"/>.</summary>
        public static DynamicSymbols Read(Stream stream, long start, long length, string source)
        {
            byte[] header = ReadAt(stream, start, length, 0, 64, source);
            if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F' || header[4] != 2 || header[5] != 1)
            {
                throw Invalid(source, "it is not a 64-bit little-endian ELF file");
            }
            long shoff = (long)BitConverter.ToUInt64(header, 0x28);
            int shentsize = BitConverter.ToUInt16(header, 0x3A);
            int shnum = BitConverter.ToUInt16(header, 0x3C);
            if (shoff == 0 || shnum == 0)
            {
                return Empty; // no section headers: nothing to read symbols from
            }
            if (shentsize < 64)
            {
                throw Invalid(source, $"its section headers are {shentsize} bytes, not 64");
            }
            byte[] sections = ReadAt(stream, start, length, shoff, (long)shentsize * shnum, source);
            int dynsym = -1;
            bool gnuHash = false;
            for (int i = 0; i < shnum; i++)
            {
                uint type = BitConverter.ToUInt32(sections, i * shentsize + 4);
                gnuHash |= type == ShtGnuHash;
                if (type == ShtDynsym && dynsym < 0)
                {
                    dynsym = i;
                }
            }
            if (dynsym < 0)
            {
                return Empty;
            }
            int at = dynsym * shentsize;
            long symOffset = (long)BitConverter.ToUInt64(sections, at + 24);
            long symSize = (long)BitConverter.ToUInt64(sections, at + 32);
            int link = (int)BitConverter.ToUInt32(sections, at + 40);
            if (link <= 0 || link >= shnum)
            {
                throw Invalid(source, "its .dynsym names no string table");
            }
            int linkAt = link * shentsize;
            long strOffset = (long)BitConverter.ToUInt64(sections, linkAt + 24);
            long strSize = (long)BitConverter.ToUInt64(sections, linkAt + 32);
            byte[] symbols = ReadAt(stream, start, length, symOffset, symSize, source);
            byte[] strings = ReadAt(stream, start, length, strOffset, strSize, source);
            byte[]? versions = null;
            for (int i = 0; i < shnum && gnuHash; i++)
            {
                int v = i * shentsize;
                if (BitConverter.ToUInt32(sections, v + 4) == ShtGnuVersym && BitConverter.ToUInt32(sections, v + 40) == dynsym)
                {
                    versions = ReadAt(stream, start, length, (long)BitConverter.ToUInt64(sections, v + 24), (long)BitConverter.ToUInt64(sections, v + 32), source);
                }
            }
            return Parse(symbols, strings, versions, source);
        }

        private static DynamicSymbols Parse(byte[] symbols, byte[] strings, byte[]? versions, string source)
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            var visible = new HashSet<string>(StringComparer.Ordinal);
            var needed = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var values = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
            for (int at = SymbolSize; at + SymbolSize <= symbols.Length; at += SymbolSize)
            {
                uint nameOffset = BitConverter.ToUInt32(symbols, at);
                int binding = symbols[at + 4] >> 4;
                int type = symbols[at + 4] & 0xF;
                ushort section = BitConverter.ToUInt16(symbols, at + 6);
                if (nameOffset == 0 || type == 3 || type == 4)
                {
                    continue; // unnamed, section or file symbols
                }
                if (nameOffset >= strings.Length)
                {
                    throw Invalid(source, "a symbol's name lies outside its string table");
                }
                int end = Array.IndexOf(strings, (byte)0, (int)nameOffset);
                string name = Encoding.UTF8.GetString(strings, (int)nameOffset, (end < 0 ? strings.Length : end) - (int)nameOffset);
                int version = name.IndexOf('@');
                if (version > 0)
                {
                    name = name.Substring(0, version);
                }
                if (section != 0)
                {
                    if (binding == 1 || binding == 2 || binding == 10)
                    {
                        defined.Add(name);
                        values[name] = (BitConverter.ToUInt64(symbols, at + 8), BitConverter.ToUInt64(symbols, at + 16));
                        int index = at / SymbolSize;
                        bool hidden = versions != null && index * 2 + 2 <= versions.Length && (BitConverter.ToUInt16(versions, index * 2) & VersymHidden) != 0;
                        if (!hidden)
                        {
                            visible.Add(name);
                        }
                    }
                }
                else if (binding == 1 && seen.Add(name))
                {
                    needed.Add(name);
                }
            }
            var hiddenOnly = new HashSet<string>(defined.Where(n => !visible.Contains(n)), StringComparer.Ordinal);
            return new DynamicSymbols(defined, hiddenOnly, needed, values);
        }

        private static byte[] ReadAt(Stream stream, long start, long length, long offset, long count, string source)
        {
            if (offset < 0 || count < 0 || count > MaxTableBytes || offset > length || count > length - offset)
            {
                throw Invalid(source, "a table lies outside the file");
            }
            var buffer = new byte[count];
            stream.Seek(start + offset, SeekOrigin.Begin);
            if (IO.StreamReading.ReadFully(stream, buffer, 0, (int)count) != count)
            {
                throw Invalid(source, "it ends early");
            }
            return buffer;
        }

        private static OsvException Invalid(string source, string why)
            => new OsvException(ErrorIds.ElfFormatInvalid, OsvErrorKind.InvalidData, $"'{source}' is not a valid ELF file: {why}.", source);
    }
}
