using System;
using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Elf
{
    /// <summary>
    /// Where Linux's dynamic linker finds what it loads when OSv runs it as a program (<c>/lib64/ld-linux-x86-64.so.2
    /// /prog args</c>). It has no ld.so.cache in the guest, so it searches its system folders (glibc's
    /// <c>ld.so --help</c>, "System search path", Debian x86-64), after the folders <c>--library-path</c> names.
    /// A library the host's loader finds in a system folder is placed at the same path; any other (found through
    /// RPATH, RUNPATH, $ORIGIN, -LibraryPath or a folder of ld.so.conf) goes to <see cref="ExtraFolder"/>, which the
    /// boot command then names with <c>--library-path</c>. (Host folders are not kept for those: OSv mounts its own
    /// file systems over /tmp, /dev, /proc and /sys, as osv.bootstrap's /etc/fstab says, and would hide them.)
    /// </summary>
    internal static class LinuxLinkerLayout
    {
        /// <summary>The folder of the libraries outside the loader's system folders.</summary>
        public const string ExtraFolder = "/usr/local/lib";

        private static readonly string[] SystemFolders = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib" };

        /// <summary>The guest path of <paramref name="library"/>, found with <see cref="ResolvedLibrary.LoaderPath"/>.</summary>
        public static string GuestPath(ResolvedLibrary library)
        {
            string path = library.LoaderPath ?? throw new ArgumentException("the library was not found", nameof(library));
            int slash = path.LastIndexOf('/');
            return slash > 0 && Array.IndexOf(SystemFolders, path.Substring(0, slash)) >= 0 ? path : ExtraFolder + "/" + library.Name;
        }

        /// <summary>The command that starts <paramref name="program"/> through <paramref name="interpreter"/>, given the guest paths of its libraries.</summary>
        public static string BootCommand(string interpreter, IEnumerable<string> libraries, string program)
            => libraries.Any(l => l.StartsWith(ExtraFolder + "/", StringComparison.Ordinal))
                ? $"{Packaging.OsvCommandGrammar.Word(interpreter)} --library-path {ExtraFolder} {Packaging.OsvCommandGrammar.Word(program)}"
                : $"{Packaging.OsvCommandGrammar.Word(interpreter)} {Packaging.OsvCommandGrammar.Word(program)}";
    }
}
