namespace OsvPS.Core.Elf
{
    /// <summary>What happens to a program when a symbol it references is defined by no object loaded with it.</summary>
    internal enum MissingSymbolEffect
    {
        /// <summary>Nothing: a weak reference, left null.</summary>
        None,
        /// <summary>The program starts; it stops when it calls (or reads) the symbol.</summary>
        WhenUsed,
        /// <summary>The program stops while it is loaded, before <c>main</c>.</summary>
        AtLoad,
    }

    /// <summary>How a dynamic linker treats each relocation: the two linkers OsvPS can run a program with.</summary>
    internal abstract class LinkerRules
    {
        /// <summary>The effect of <paramref name="reference"/> finding no definition, in an object that asks (or not) to be bound now.</summary>
        public abstract MissingSymbolEffect Missing(SymbolReference reference, bool bindNow);

        /// <summary>Why the linker cannot relocate an object using <paramref name="type"/> (in the PLT or not), or null when it can.</summary>
        public abstract string? Unsupported(uint type, bool inPlt);

        /// <summary>Why the linker cannot relocate an object with DT_REL relocations, or null when it can.</summary>
        public abstract string? UnsupportedRel { get; }

        /// <summary>True when a lookup from another object finds <paramref name="name"/> in <paramref name="table"/>.</summary>
        public abstract bool Finds(DynamicSymbols table, string name);

        /// <summary>OSv's own linker.</summary>
        public static readonly LinkerRules Osv = new OsvLinkerRules();

        /// <summary>glibc's ld-linux-x86-64.so.2, run by OSv as a program.</summary>
        public static readonly LinkerRules Glibc = new GlibcLinkerRules();
    }

    /// <summary>
    /// OSv's linker, as core/elf.cc and arch/x64/arch-elf.cc (v0.57) relocate an object:
    /// <list type="bullet">
    /// <item>R_X86_64_COPY: <c>symbol_other</c> looks in every other object and aborts when none defines it
    /// ("failed looking up symbol X in other objects"), weak or not.</item>
    /// <item>R_X86_64_64, GLOB_DAT and JUMP_SLOT in DT_RELA: looked up with <c>ignore_missing</c>; a missing
    /// one points at a page that aborts when touched ("trying to execute or access missing symbol").</item>
    /// <item>DTPMOD64, DTPOFF64, TPOFF64 (DT_RELA) and TLSDESC (PLT): <c>symbol()</c>, which aborts at load
    /// ("failed looking up symbol X") unless the reference is weak.</item>
    /// <item>JUMP_SLOT in the PLT: bound on first call (<c>resolve_pltgot</c>, which aborts then). Under
    /// DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW, <c>relocate_pltgot</c> binds what it finds at load and leaves
    /// the missing ones lazy: BIND_NOW does not make a missing function fatal at load.</item>
    /// <item>Other types: <c>relocate_rela</c> aborts ("unknown relocation type"); the PLT accepts JUMP_SLOT,
    /// TLSDESC and IRELATIVE only (an assertion); DT_REL is an assertion.</item>
    /// </list>
    /// Lookups go through every loaded object, the program first and the kernel last (<c>program::lookup</c>),
    /// and skip definitions of a hidden version (<c>lookup_symbol</c>, GNU hash tables).
    /// </summary>
    internal sealed class OsvLinkerRules : LinkerRules
    {
        public override MissingSymbolEffect Missing(SymbolReference reference, bool bindNow)
        {
            if (reference.Type == RelocationTypes.Copy && !reference.InPlt)
            {
                return MissingSymbolEffect.AtLoad;
            }
            if (reference.Weak)
            {
                return MissingSymbolEffect.None;
            }
            switch (reference.Type)
            {
                case RelocationTypes.DtpMod64:
                case RelocationTypes.DtpOff64:
                case RelocationTypes.TpOff64:
                case RelocationTypes.TlsDesc:
                    return MissingSymbolEffect.AtLoad;
                default:
                    return MissingSymbolEffect.WhenUsed;
            }
        }

        public override string? Unsupported(uint type, bool inPlt)
        {
            bool handled = inPlt
                ? type == RelocationTypes.JumpSlot || type == RelocationTypes.TlsDesc || type == RelocationTypes.IRelative
                : type == RelocationTypes.None || type == RelocationTypes.Direct64 || type == RelocationTypes.Copy || type == RelocationTypes.GlobDat ||
                  type == RelocationTypes.JumpSlot || type == RelocationTypes.Relative || type == RelocationTypes.DtpMod64 ||
                  type == RelocationTypes.DtpOff64 || type == RelocationTypes.TpOff64 || type == RelocationTypes.IRelative;
            return handled ? null : $"it uses {RelocationTypes.Name(type)}{(inPlt ? " in its PLT" : "")}, a relocation OSv's linker does not handle (core/elf.cc): it stops at load";
        }

        public override string? UnsupportedRel => "it has DT_REL relocations, which OSv's linker does not handle (core/elf.cc): it stops at load";

        public override bool Finds(DynamicSymbols table, string name) => table.DefinesForOsv(name);
    }

    /// <summary>
    /// glibc's dynamic linker (elf/dl-reloc.c, sysdeps/x86_64/dl-machine.h): every relocation outside the PLT, copy
    /// relocations included, is resolved at load and a missing non-weak symbol stops the program there ("symbol lookup
    /// error: undefined symbol"); the PLT is bound on first call unless the object asks for BIND_NOW (DT_BIND_NOW,
    /// DF_BIND_NOW, DF_1_NOW), then at load. A versioned reference finds hidden versions too.
    /// </summary>
    internal sealed class GlibcLinkerRules : LinkerRules
    {
        public override MissingSymbolEffect Missing(SymbolReference reference, bool bindNow)
        {
            if (reference.Weak)
            {
                return MissingSymbolEffect.None;
            }
            return reference.InPlt && reference.Type == RelocationTypes.JumpSlot && !bindNow ? MissingSymbolEffect.WhenUsed : MissingSymbolEffect.AtLoad;
        }

        public override string? Unsupported(uint type, bool inPlt) => null;

        public override string? UnsupportedRel => null;

        public override bool Finds(DynamicSymbols table, string name) => table.Defines(name);
    }
}
