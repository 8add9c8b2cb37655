using System;
using System.IO;
using OsvPS.Core.Tests.Support;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>ELF files compiled with gcc when the tests start: every shape the resolver must handle.</summary>
    public sealed class ElfFixtures : IDisposable
    {
        public readonly TempDir Dir = new TempDir();

        public string Path(string relative) => Dir.Combine(relative);

        public ElfFixtures()
        {
            if (!TestFiles.Has("gcc")) throw new InvalidOperationException("gcc is required (.ci/run installs it)");
            Source("base.c", "int base_value(void) { return 41; }");
            Source("mid.c", "int base_value(void); int mid_value(void) { return base_value() + 1; }");
            Source("main.c", "#include <stdio.h>\nint mid_value(void); int main(void) { printf(\"%d\\n\", mid_value()); return 0; }");
            Source("plain.c", "#include <stdio.h>\nint main(void) { puts(\"plain\"); return 0; }");
            Source("a.c", "int b_value(void); int a_value(void) { return 1; } int a_calls_b(void) { return b_value(); }");
            Source("b.c", "int a_value(void); int b_value(void) { return a_value() + 1; }");
            Source("ghost.c", "int ghost_value(void) { return 7; }");
            Source("useghost.c", "int ghost_value(void); int main(void) { return ghost_value(); }");

            Directory.CreateDirectory(Path("lib1"));
            Directory.CreateDirectory(Path("lib2"));
            Directory.CreateDirectory(Path("bin"));
            Directory.CreateDirectory(Path("cyc"));
            Gcc("-shared", "-fPIC", "-Wl,-soname,libbase.so.1", "-o", "lib1/libbase.so.1", "base.c");
            // libmid finds libbase through its own RPATH ($ORIGIN-relative).
            Gcc("-shared", "-fPIC", "-Wl,-soname,libmid.so.1", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib1",
                "-o", "lib2/libmid.so.1", "mid.c", "-Llib1", "-l:libbase.so.1");
            // A library without any search path of its own, found through the executable's RPATH chain.
            Gcc("-shared", "-fPIC", "-Wl,-soname,libchain.so", "-o", "lib2/libchain.so", "mid.c", "-Llib1", "-l:libbase.so.1");
            Gcc("-fPIE", "-pie", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib2", "-o", "bin/app-rpath", "main.c", "-Llib2", "-l:libmid.so.1", "-Wl,-rpath-link,lib1");
            Gcc("-fPIE", "-pie", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib2", "-o", "bin/app-runpath", "main.c", "-Llib2", "-l:libmid.so.1", "-Wl,-rpath-link,lib1");
            Gcc("-fPIE", "-pie", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib2:$ORIGIN/../lib1", "-o", "bin/chain-rpath", "main.c", "-Llib2", "-l:libchain.so", "-Wl,-rpath-link,lib1");
            Gcc("-fPIE", "-pie", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib2:$ORIGIN/../lib1", "-o", "bin/chain-runpath", "main.c", "-Llib2", "-l:libchain.so", "-Wl,-rpath-link,lib1");
            Gcc("-no-pie", "-fno-pie", "-o", "bin/nonpie", "plain.c");
            Gcc("-fPIE", "-pie", "-o", "bin/pie", "plain.c");
            HasStatic = TryGcc("-static", "-o", "bin/static", "plain.c");
            Gcc("-shared", "-fPIC", "-Wl,-soname,libghost.so", "-o", "libghost.so", "ghost.c");
            Gcc("-fPIE", "-pie", "-o", "bin/needs-ghost", "useghost.c", "-L.", "-lghost");
            File.Delete(Path("libghost.so"));
            // Two libraries that need each other.
            Gcc("-shared", "-fPIC", "-Wl,-soname,liba.so", "-o", "cyc/liba.so", "a.c", "-Wl,--unresolved-symbols=ignore-all");
            Gcc("-shared", "-fPIC", "-Wl,-soname,libb.so", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN", "-o", "cyc/libb.so", "b.c", "-Lcyc", "-la");
            Gcc("-shared", "-fPIC", "-Wl,-soname,liba.so", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN", "-Wl,--no-as-needed", "-o", "cyc/liba.so", "a.c", "-Lcyc", "-lb");
        }

        public bool HasStatic { get; }

        private void Source(string name, string text) => Dir.File(name, text);

        private void Gcc(params string[] args) => GccRunner.Run(Dir.Path, args);

        private bool TryGcc(params string[] args) => GccRunner.TryRun(Dir.Path, args, out _);

        public void Dispose() => Dir.Dispose();
    }

    /// <summary>gcc, run in a folder of fixtures.</summary>
    public static class GccRunner
    {
        public static void Run(string folder, params string[] args)
        {
            if (!TryRun(folder, args, out string output)) throw new InvalidOperationException("gcc failed: " + string.Join(" ", args) + "\n" + output);
        }

        public static bool TryRun(string folder, string[] args, out string output)
        {
            var info = new System.Diagnostics.ProcessStartInfo("gcc") { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(info)!;
            output = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
    }
}
