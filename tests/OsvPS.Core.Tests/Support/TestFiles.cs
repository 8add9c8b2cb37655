using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Tests.Support
{
    /// <summary>A temporary folder per test, removed afterwards.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "osvps-" + Guid.NewGuid().ToString("N").Substring(0, 12));

        public string File(string relative, string content)
        {
            string full = Combine(relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            System.IO.File.WriteAllText(full, content);
            return full;
        }

        public string File(string relative, byte[] content)
        {
            string full = Combine(relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            System.IO.File.WriteAllBytes(full, content);
            return full;
        }

        public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

        public void Dispose()
        {
            try { Directory.Delete(Path, true); } catch (IOException) { }
        }
    }

    public static class TestFiles
    {
        /// <summary>A stand-in loader: a boot sector with the size word (64 KiB + 30 x 32 KiB = 1 MiB), a recognisable pattern, 1 MiB long.</summary>
        public static byte[] Loader(int sizeUnits = 30, int length = 1 << 20)
        {
            var bytes = new byte[length];
            for (int i = 0; i < length; i++) bytes[i] = (byte)(i * 7 + 3);
            bytes[0x10] = (byte)sizeUnits;
            bytes[0x11] = (byte)(sizeUnits >> 8);
            bytes[510] = 0x55;
            bytes[511] = 0xAA;
            return bytes;
        }

        /// <summary>A package archive (.mpm) of <paramref name="files"/> (relative path to content), written with our TarWriter.</summary>
        public static void Package(string path, string packageYaml, string? runYaml, params (string path, string content)[] files)
        {
            using var f = System.IO.File.Create(path);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            var tar = new TarWriter(gz);
            var when = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            tar.AddDirectory("meta", when);
            tar.AddFile("meta/package.yaml", System.Text.Encoding.UTF8.GetBytes(packageYaml), when);
            if (runYaml != null) tar.AddFile("meta/run.yaml", System.Text.Encoding.UTF8.GetBytes(runYaml), when);
            foreach (var (p, c) in files) tar.AddFile(p, System.Text.Encoding.UTF8.GetBytes(c), when);
            tar.Finish();
        }

        /// <summary>Runs a program and returns (exit code, stdout + stderr).</summary>
        public static (int code, string output) Run(string program, params string[] args)
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException(program); }
            return (p.ExitCode, output);
        }

        public static bool Has(string program) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => System.IO.File.Exists(System.IO.Path.Combine(d, program)));
    }
}
