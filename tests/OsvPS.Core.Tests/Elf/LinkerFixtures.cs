using System;
using System.IO;
using OsvPS.Core.Tests.Support;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>
    /// Programs compiled with gcc against a library that is then swapped for one lacking what they reference:
    /// each way a symbol can go missing (copy, data, TLS, lazy call, BIND_NOW call, weak, hidden version), a
    /// shared library exporting main, a plugin and its program, a static executable.
    /// </summary>
    public sealed class LinkerFixtures : IDisposable
    {
        public readonly TempDir Dir = new TempDir();

        public string Path(string relative) => Dir.Combine(relative);

        /// <summary>The folder of the library that lacks every symbol the programs take from it.</summary>
        public string Bad => Path("bad");

        public LinkerFixtures()
        {
            if (!TestFiles.Has("gcc")) throw new InvalidOperationException("gcc is required (.ci/run installs it)");
            Dir.File("data.c", "int shared_value = 42; int shared_func(void) { return 7; } __thread int shared_tls = 5;");
            Dir.File("nodata.c", "int other_thing = 1;");
            Dir.File("copyrel.c", "#include <stdio.h>\nextern int shared_value; int main(void) { printf(\"copyrel %d\\n\", shared_value); return 0; }");
            Dir.File("lazy.c", "#include <stdio.h>\nint shared_func(void); int main(int argc, char **argv) { puts(\"started\"); if (argc > 1) return shared_func(); return 0; }");
            Dir.File("tls.c", "#include <stdio.h>\nextern __thread int shared_tls; int main(void) { printf(\"tls %d\\n\", shared_tls); return 0; }");
            Dir.File("gotdata.c", "#include <stdio.h>\nextern int shared_value; int main(int argc, char **argv) { puts(\"started\"); return argc > 1 ? shared_value : 0; }");
            Dir.File("weak.c", "extern int shared_value __attribute__((weak)); int shared_func(void) __attribute__((weak));\n" +
                "int main(void) { return (&shared_value ? shared_value : 0) + (shared_func ? shared_func() : 0); }");
            Dir.File("echo.c", "#include <stdio.h>\nint main(int argc, char **argv) { for (int i = 1; i < argc; i++) printf(\"%s \", argv[i]); puts(\"\"); return 0; }");
            Dir.File("host.c", "#include <stdio.h>\nint host_counter = 3; int host_api(int x) { return x + host_counter; } int main(void) { puts(\"host\"); return 0; }");
            Dir.File("plugin.c", "extern int host_counter; int host_api(int); int plugin_entry(void) { return host_api(host_counter); }");
            Dir.File("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }");
            // A library whose only definition of versioned_func is a hidden (non-default) version, VER_1.
            Dir.File("ver1.c", "int versioned_func(void) { return 1; }");
            Dir.File("ver1.map", "VER_1 { global: versioned_func; local: *; };");
            Dir.File("ver2.c", "int old_impl(void) { return 1; }\n__asm__(\".symver old_impl, versioned_func@VER_1\");");
            Dir.File("usever.c", "int versioned_func(void); int main(void) { return versioned_func() - 1; }");
            Directory.CreateDirectory(Bad);

            Gcc("-shared", "-fPIC", "-Wl,-soname,libdata.so", "-o", "libdata.so", "data.c");
            Gcc("-shared", "-fPIC", "-Wl,-soname,libdata.so", "-o", "bad/libdata.so", "nodata.c");
            Gcc("-fPIE", "-pie", "-o", "copyrel", "copyrel.c", "-L.", "-ldata");
            Gcc("-fPIE", "-pie", "-o", "lazy", "lazy.c", "-L.", "-ldata");
            Gcc("-fPIE", "-pie", "-Wl,-z,now", "-o", "lazynow", "lazy.c", "-L.", "-ldata");
            Gcc("-fPIE", "-pie", "-o", "tls", "tls.c", "-L.", "-ldata");
            Gcc("-fPIC", "-pie", "-o", "gotdata", "gotdata.c", "-L.", "-ldata");
            Gcc("-fPIC", "-pie", "-o", "weak", "weak.c");
            Gcc("-fPIC", "-shared", "-o", "echo.so", "echo.c");
            Gcc("-fPIE", "-pie", "-rdynamic", "-o", "host", "host.c");
            Gcc("-fPIC", "-shared", "-o", "plugin.so", "plugin.c");
            Gcc("-shared", "-fPIC", "-Wl,-soname,libver.so", "-Wl,--version-script=ver1.map", "-o", "libver.so", "ver1.c");
            Gcc("-fPIE", "-pie", "-o", "usever", "usever.c", "-L.", "-lver");
            Gcc("-shared", "-fPIC", "-Wl,-soname,libver.so", "-Wl,--version-script=ver1.map", "-o", "bad/libver.so", "ver2.c");
            HasStatic = TryGcc("-static", "-o", "static", "hello.c");
        }

        public bool HasStatic { get; }

        private void Gcc(params string[] args) => GccRunner.Run(Dir.Path, args);

        private bool TryGcc(params string[] args) => GccRunner.TryRun(Dir.Path, args, out _);

        public void Dispose() => Dir.Dispose();
    }
}
