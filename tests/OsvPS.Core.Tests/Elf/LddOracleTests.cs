using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using OsvPS.Core.Elf;
using OsvPS.Core.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>
    /// The oracle: for real binaries of this machine, the libraries the resolver places equal the ones
    /// ldd maps that are reachable through DT_NEEDED (as readelf -d lists them) without passing through
    /// a library OSv provides.
    /// </summary>
    public class LddOracleTests
    {
        private readonly ITestOutputHelper output;
        private readonly Dictionary<string, string[]> readelfMemo = new Dictionary<string, string[]>();

        public LddOracleTests(ITestOutputHelper output) => this.output = output;

        private static readonly Regex Mapped = new Regex(@"^\s*(\S+) => (\S+) \(0x[0-9a-f]+\)\s*$");
        private static readonly Regex NotFound = new Regex(@"^\s*(\S+) => not found\s*$");
        private static readonly Regex NeededLine = new Regex(@"\(NEEDED\)\s+Shared library: \[(.+)\]");

        private static List<string> Candidates()
        {
            var files = new List<string>();
            foreach (var dir in new[] { "/usr/bin", "/usr/lib/x86_64-linux-gnu" })
            {
                foreach (var path in Directory.GetFiles(dir).OrderBy(p => p, StringComparer.Ordinal))
                {
                    var info = new FileInfo(path);
                    if (info.LinkTarget != null || info.Length < 64) continue;
                    using var s = info.OpenRead();
                    var magic = new byte[4];
                    if (s.Read(magic, 0, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F') files.Add(path);
                }
            }
            return files;
        }

        private string[] Needed(string path)
        {
            if (!readelfMemo.TryGetValue(path, out var needed))
            {
                var (_, text) = TestFiles.Run("readelf", "-dW", path);
                readelfMemo[path] = needed = NeededLine.Matches(text).Select(m => m.Groups[1].Value).ToArray();
            }
            return needed;
        }

        [Fact]
        public void PlacedSetEqualsLddReachableSetOnMachineBinaries()
        {
            if (!TestFiles.Has("ldd") || !TestFiles.Has("readelf")) throw new InvalidOperationException("ldd and readelf are required (.ci/run installs binutils)");
            var all = Candidates();
            // Spread over both folders: every k-th file, at least 120.
            int step = Math.Max(1, all.Count / 150);
            var sample = all.Where((_, i) => i % step == 0).ToList();
            var resolver = new DependencyResolver();
            int compared = 0;
            var failures = new List<string>();
            foreach (var file in sample)
            {
                var (code, text) = TestFiles.Run("ldd", file);
                if (code != 0 || text.Contains("not a dynamic executable") || text.Contains("statically linked")) continue;
                var map = new Dictionary<string, string>();
                var lddMissing = new HashSet<string>();
                foreach (var line in text.Split('\n'))
                {
                    var m = Mapped.Match(line);
                    if (m.Success) map[m.Groups[1].Value] = m.Groups[2].Value;
                    var n = NotFound.Match(line);
                    if (n.Success) lddMissing.Add(n.Groups[1].Value);
                }
                // Reachable through DT_NEEDED, not through a provided library.
                var expected = new HashSet<string>(StringComparer.Ordinal);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var queue = new Queue<string>(Needed(file));
                while (queue.Count > 0)
                {
                    string name = queue.Dequeue();
                    if (!seen.Add(name) || resolver.IsProvided(name)) continue;
                    if (!map.TryGetValue(name, out var path)) continue;
                    expected.Add(Real(path));
                    foreach (var next in Needed(path)) queue.Enqueue(next);
                }
                OsvPS.Core.Elf.DependencyTree tree;
                try { tree = resolver.Resolve(file); }
                catch (OsvPS.Core.Errors.OsvException e) { failures.Add($"{file}: {e.Message}"); continue; }
                var actual = new HashSet<string>(tree.ToCopy.Select(l => Real(l.Path!)), StringComparer.Ordinal);
                var actualMissing = new HashSet<string>(tree.Missing.Select(l => l.Name));
                if (!expected.SetEquals(actual))
                {
                    failures.Add($"{file}: only ldd: [{string.Join(", ", expected.Except(actual))}] only ours: [{string.Join(", ", actual.Except(expected))}]");
                }
                if (!actualMissing.All(lddMissing.Contains))
                {
                    failures.Add($"{file}: we miss [{string.Join(", ", actualMissing.Except(lddMissing))}] that ldd found");
                }
                compared++;
            }
            output.WriteLine($"compared {compared} files of {sample.Count} sampled ({all.Count} ELF files in all)");
            Assert.True(compared >= 100, $"only {compared} dynamic ELF files could be compared");
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        private static string Real(string path)
        {
            var info = new FileInfo(path);
            var target = info.ResolveLinkTarget(true);
            return target?.FullName ?? info.FullName;
        }
    }
}
