using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Elf
{
    /// <summary>A symbol an object asks a linker for: the relocation that names it, and where that relocation is.</summary>
    internal sealed class SymbolReference
    {
        internal SymbolReference(string name, uint type, bool inPlt, bool weak)
        {
            Name = name;
            Type = type;
            InPlt = inPlt;
            Weak = weak;
        }

        public string Name { get; }
        /// <summary>The x86-64 relocation type (R_X86_64_*).</summary>
        public uint Type { get; }
        /// <summary>True for the PLT's relocations (DT_JMPREL), which a linker may bind lazily; false for DT_RELA's.</summary>
        public bool InPlt { get; }
        /// <summary>STB_WEAK: the object copes with the symbol being absent.</summary>
        public bool Weak { get; }
        public string TypeName => RelocationTypes.Name(Type);

        public override string ToString() => $"{Name} ({TypeName})";
    }

    /// <summary>The names of the x86-64 relocation types (the psABI's R_X86_64_*).</summary>
    internal static class RelocationTypes
    {
        public const uint None = 0, Direct64 = 1, Copy = 5, GlobDat = 6, JumpSlot = 7, Relative = 8,
            DtpMod64 = 16, DtpOff64 = 17, TpOff64 = 18, TlsDesc = 36, IRelative = 37;

        private static readonly string[] Names =
        {
            "NONE", "64", "PC32", "GOT32", "PLT32", "COPY", "GLOB_DAT", "JUMP_SLOT", "RELATIVE", "GOTPCREL", "32", "32S", "16", "PC16",
            "8", "PC8", "DTPMOD64", "DTPOFF64", "TPOFF64", "TLSGD", "TLSLD", "DTPOFF32", "GOTTPOFF", "TPOFF32", "PC64", "GOTOFF64",
            "GOTPC32", "GOT64", "GOTPCREL64", "GOTPC64", "GOTPLT64", "PLTOFF64", "SIZE32", "SIZE64", "GOTPC32_TLSDESC", "TLSDESC_CALL",
            "TLSDESC", "IRELATIVE", "RELATIVE64",
        };

        public static string Name(uint type) => "R_X86_64_" + (type < Names.Length ? Names[type] : type.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The dynamic relocations of a 64-bit ELF file, read the way a dynamic linker reads them: from the dynamic section
    /// (DT_RELA, DT_JMPREL, DT_SYMTAB, DT_STRTAB), not from section headers, which may be stripped. Kept: the symbols
    /// the object looks up in others (those it does not define, and those a copy relocation takes from another object),
    /// and every relocation type it uses.
    /// </summary>
    internal sealed class ElfRelocations
    {
        private const long DtPltRelSz = 2, DtStrtab = 5, DtSymtab = 6, DtRela = 7, DtRelaSz = 8, DtStrSz = 10, DtRel = 17, DtJmpRel = 23;
        private const int EntrySize = 24, SymbolSize = 24;
        private const long MaxTableBytes = 256L * 1024 * 1024;

        private ElfRelocations(IReadOnlyList<SymbolReference> references, IReadOnlyCollection<(uint Type, bool InPlt)> types, bool hasRel, bool bindNow)
        {
            References = references;
            Types = types;
            HasRel = hasRel;
            BindNow = bindNow;
        }

        public static readonly ElfRelocations Empty = new ElfRelocations(new SymbolReference[0], new (uint, bool)[0], false, false);

        /// <summary>Each symbol the object looks up in the objects loaded with it, once per relocation type and table.</summary>
        public IReadOnlyList<SymbolReference> References { get; }
        /// <summary>Every relocation type the object uses, with the table it is in.</summary>
        public IReadOnlyCollection<(uint Type, bool InPlt)> Types { get; }
        /// <summary>DT_REL is present: relocations without addends, which x86-64 linkers do not expect.</summary>
        public bool HasRel { get; }
        public bool BindNow { get; }

        /// <summary>Reads the relocations of <paramref name="elf"/> (a 64-bit little-endian file); none for a file without a dynamic section.</summary>
        public static ElfRelocations Read(ElfFile elf)
        {
            if (!elf.Is64Bit || elf.Dynamic.Count == 0)
            {
                return Empty;
            }
            try
            {
                using (var stream = new FileStream(elf.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
                {
                    return Read(elf, stream);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read '{elf.Path}': {e.Message}", elf.Path, e);
            }
        }

        private static ElfRelocations Read(ElfFile elf, Stream stream)
        {
            byte[] rela = Table(elf, stream, DtRela, DtRelaSz);
            byte[] plt = Table(elf, stream, DtJmpRel, DtPltRelSz);
            var types = new HashSet<(uint, bool)>();
            uint maxSymbol = 0;
            foreach (var (table, inPlt) in new[] { (rela, false), (plt, true) })
            {
                for (int at = 0; at + EntrySize <= table.Length; at += EntrySize)
                {
                    ulong info = BitConverter.ToUInt64(table, at + 8);
                    types.Add(((uint)info, inPlt));
                    maxSymbol = Math.Max(maxSymbol, (uint)(info >> 32));
                }
            }
            var references = new List<SymbolReference>();
            if (maxSymbol > 0)
            {
                byte[] symbols = At(elf, stream, DtSymtab, ((long)maxSymbol + 1) * SymbolSize, "symbol table");
                byte[] strings = At(elf, stream, DtStrtab, Math.Min(elf.DynamicValue(DtStrSz) ?? 0, MaxTableBytes), "string table");
                var seen = new HashSet<(uint, uint, bool)>();
                foreach (var (table, inPlt) in new[] { (rela, false), (plt, true) })
                {
                    for (int at = 0; at + EntrySize <= table.Length; at += EntrySize)
                    {
                        ulong info = BitConverter.ToUInt64(table, at + 8);
                        uint index = (uint)(info >> 32), type = (uint)info;
                        if (index == 0 || !seen.Add((index, type, inPlt)))
                        {
                            continue;
                        }
                        int symbol = (int)(index * SymbolSize);
                        int binding = symbols[symbol + 4] >> 4;
                        ushort section = BitConverter.ToUInt16(symbols, symbol + 6);
                        // Local symbols and the object's own definitions are found in the object itself;
                        // a copy relocation always takes its bytes from another object.
                        if (binding == 0 || (section != 0 && type != RelocationTypes.Copy))
                        {
                            continue;
                        }
                        references.Add(new SymbolReference(Name(strings, BitConverter.ToUInt32(symbols, symbol), elf.Path), type, inPlt, binding == 2));
                    }
                }
            }
            return new ElfRelocations(references, types, elf.DynamicValue(DtRel) != null, elf.BindNow);
        }

        private static byte[] Table(ElfFile elf, Stream stream, long addressTag, long sizeTag)
        {
            long size = elf.DynamicValue(sizeTag) ?? 0;
            return elf.DynamicValue(addressTag) == null || size <= 0 ? new byte[0] : At(elf, stream, addressTag, size - size % EntrySize, "relocation table");
        }

        private static byte[] At(ElfFile elf, Stream stream, long addressTag, long size, string what)
        {
            long address = elf.DynamicValue(addressTag) ?? throw Invalid(elf.Path, $"its dynamic section has no {what}");
            var place = elf.FileOffset(address);
            if (place == null || size < 0 || size > MaxTableBytes || size > place.Value.Available)
            {
                throw Invalid(elf.Path, $"its {what} lies outside its loaded segments");
            }
            var buffer = new byte[size];
            stream.Seek(place.Value.Offset, SeekOrigin.Begin);
            if (IO.StreamReading.ReadFully(stream, buffer, 0, buffer.Length) != buffer.Length)
            {
                throw Invalid(elf.Path, "it ends early");
            }
            return buffer;
        }

        private static string Name(byte[] strings, uint offset, string path)
        {
            if (offset >= strings.Length)
            {
                throw Invalid(path, "a symbol's name lies outside its string table");
            }
            int end = Array.IndexOf(strings, (byte)0, (int)offset);
            return Encoding.UTF8.GetString(strings, (int)offset, (end < 0 ? strings.Length : end) - (int)offset);
        }

        private static OsvException Invalid(string path, string why)
            => new OsvException(ErrorIds.ElfFormatInvalid, OsvErrorKind.InvalidData, $"'{path}' is not a valid ELF file: {why}.", path);
    }
}
