using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    public class DynamicSymbolsTests
    {
        // readelf --dyn-syms is the oracle: defined = GLOBAL/WEAK/UNIQUE with a section, needed = GLOBAL and UND.
        private static (HashSet<string> Defined, HashSet<string> Needed) ReadElf(string path)
        {
            var (code, output) = TestFiles.Run("readelf", "--dyn-syms", "-W", path);
            Assert.True(code == 0, output);
            var defined = new HashSet<string>(StringComparer.Ordinal);
            var needed = new HashSet<string>(StringComparer.Ordinal);
            foreach (string line in output.Split('\n'))
            {
                var f = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 8 || !f[0].EndsWith(":") || !char.IsDigit(f[0][0]) || f[3] == "SECTION" || f[3] == "FILE")
                {
                    continue;
                }
                string name = f[7].Split('@')[0];
                if (name.Length == 0)
                {
                    continue;
                }
                if (f[6] == "UND")
                {
                    if (f[4] == "GLOBAL") needed.Add(name);
                }
                else if (f[4] == "GLOBAL" || f[4] == "WEAK" || f[4] == "UNIQUE")
                {
                    defined.Add(name);
                }
            }
            return (defined, needed);
        }

        public static IEnumerable<object[]> HostFiles()
        {
            var files = new[] { "/usr/bin", "/usr/lib/x86_64-linux-gnu" }
                .SelectMany(d => Directory.Exists(d) ? Directory.GetFiles(d) : new string[0])
                .Where(f => new FileInfo(f).Length > 64 && IsElf(f))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            int step = Math.Max(1, files.Count / 30);
            return files.Where((_, i) => i % step == 0).Take(30).Select(f => new object[] { f });
        }

        private static bool IsElf(string path)
        {
            try
            {
                using var s = File.OpenRead(path);
                var m = new byte[4];
                return s.Read(m, 0, 4) == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return false;
            }
        }

        [Theory]
        [MemberData(nameof(HostFiles))]
        public void DefinedAndNeededEqualReadelf(string path)
        {
            var expected = ReadElf(path);
            var symbols = DynamicSymbols.Read(path);
            Assert.Equal(expected.Defined.OrderBy(n => n, StringComparer.Ordinal), symbols.Defined.OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(expected.Needed.OrderBy(n => n, StringComparer.Ordinal), symbols.Needed.OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void HostFilesAreSampled() => Assert.True(HostFiles().Count() >= 20, "at least 20 host ELF files must be compared");

        [Fact]
        public void BadTablesAreElfFormatInvalid()
        {
            using var dir = new TempDir();
            var bytes = File.ReadAllBytes("/usr/bin/gzip");
            var truncated = dir.File("truncated", bytes[..(bytes.Length / 2)]);
            Assert.Equal(ErrorIds.ElfFormatInvalid, Assert.Throws<OsvException>(() => DynamicSymbols.Read(truncated)).ErrorId);
            var notElf = dir.File("text", "#!/bin/sh\necho hi\n");
            Assert.Equal(ErrorIds.ElfFormatInvalid, Assert.Throws<OsvException>(() => DynamicSymbols.Read(notElf)).ErrorId);
            var random = new byte[4096];
            new Random(5).NextBytes(random);
            random[0] = 0x7f; random[1] = (byte)'E'; random[2] = (byte)'L'; random[3] = (byte)'F'; random[4] = 2; random[5] = 1;
            Assert.Equal(ErrorIds.ElfFormatInvalid, Assert.Throws<OsvException>(() => DynamicSymbols.Read(dir.File("random", random))).ErrorId);
        }
    }
}
