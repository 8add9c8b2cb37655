namespace OsvPS.Core.Elf
{
    /// <summary>
    /// What OSv starts as a program (core/app.cc, <c>application::application</c> and <c>main</c>): an object whose
    /// <c>main</c> it finds (a shared library built the way OSv's own apps are, <c>gcc -fPIC -shared</c>), an executable
    /// (at <c>main</c>, else its entry point), and, at their entry point with an auxiliary vector of their own, static
    /// executables and glibc's dynamic linker (include/osv/elf.hh, <c>is_linux_dl</c>: the soname
    /// <c>ld-linux-x86-64.so.2</c>), which then loads a program the Linux way.
    /// </summary>
    internal static class OsvPrograms
    {
        /// <summary>The soname OSv recognises as Linux's dynamic linker.</summary>
        public const string LinuxLinkerSoname = "ld-linux-x86-64.so.2";

        /// <summary>True for glibc's x86-64 dynamic linker, which OSv runs as a program.</summary>
        public static bool IsLinuxLinker(ElfFile elf) => elf.IsX8664 && elf.Soname == LinuxLinkerSoname;

        /// <summary>True when OSv starts <paramref name="elf"/> as a program; <paramref name="symbols"/> are its dynamic symbols, read only for shared libraries.</summary>
        public static bool IsProgram(ElfFile elf, System.Func<DynamicSymbols> symbols)
        {
            switch (elf.Kind)
            {
                case ElfKind.PositionIndependentExecutable:
                case ElfKind.DynamicExecutable:
                case ElfKind.StaticExecutable:
                    return true;
                case ElfKind.SharedLibrary:
                    return IsLinuxLinker(elf) || symbols().Defines("main");
                default:
                    return false;
            }
        }
    }
}
