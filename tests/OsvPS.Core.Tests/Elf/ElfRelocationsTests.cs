using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    public class ElfRelocationsTests : IClassFixture<LinkerFixtures>
    {
        private readonly LinkerFixtures f;

        public ElfRelocationsTests(LinkerFixtures fixtures) => f = fixtures;

        // readelf is the oracle: -D -r for the dynamic relocations, found as a dynamic linker finds them, through the
        // dynamic section (its Info word gives symbol index and type, its 'RELA' or 'PLT' heading the table), --dyn-syms
        // for each index's binding and section. Plain -r would also list a relocatable object's static relocations,
        // whose indices are into .symtab, not .dynsym (crt1.o in the host sample, whenever the stride landed on it).
        private static (HashSet<(string, uint, bool)> References, HashSet<(uint, bool)> Types) ReadElf(string path)
        {
            var (code, symbolsText) = TestFiles.Run("readelf", "--dyn-syms", "-W", path);
            Assert.True(code == 0, symbolsText);
            var symbols = new Dictionary<uint, (string Name, string Bind, string Ndx)>();
            foreach (string line in symbolsText.Split('\n'))
            {
                var c = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (c.Length >= 8 && c[0].EndsWith(":") && uint.TryParse(c[0].TrimEnd(':'), out uint index) && !symbols.ContainsKey(index))
                {
                    symbols[index] = (c[7].Split('@')[0], c[4], c[6]);
                }
            }
            var (code2, relocationsText) = TestFiles.Run("readelf", "-D", "-r", "-W", path);
            Assert.True(code2 == 0, relocationsText);
            var references = new HashSet<(string, uint, bool)>();
            var types = new HashSet<(uint, bool)>();
            bool inPlt = false;
            foreach (string line in relocationsText.Split('\n'))
            {
                if (line.Contains(" relocation section at offset ", StringComparison.Ordinal))
                {
                    inPlt = line.StartsWith("'PLT'", StringComparison.Ordinal);
                    continue;
                }
                var c = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (c.Length < 3 || c[1].Length != 16 || !ulong.TryParse(c[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong info))
                {
                    continue;
                }
                uint type = (uint)info, symbol = (uint)(info >> 32);
                types.Add((type, inPlt));
                if (symbol == 0)
                {
                    continue;
                }
                var s = symbols[symbol];
                if (s.Bind != "LOCAL" && (s.Ndx == "UND" || type == RelocationTypes.Copy))
                {
                    references.Add((s.Name, type, inPlt));
                }
            }
            return (references, types);
        }

        public static IEnumerable<object[]> HostFiles() => DynamicSymbolsTests.HostFiles();

        [Theory]
        [MemberData(nameof(HostFiles))]
        public void AgreesWithReadelfOnHostFiles(string path) => AgreesWithReadelf(path);

        [Theory]
        [InlineData("copyrel")]
        [InlineData("lazynow")]
        [InlineData("tls")]
        [InlineData("gotdata")]
        [InlineData("weak")]
        [InlineData("plugin.so")]
        public void AgreesWithReadelfOnFixtures(string name) => AgreesWithReadelf(f.Path(name));

        private static void AgreesWithReadelf(string path)
        {
            var elf = ElfFile.Read(path);
            var relocations = ElfRelocations.Read(elf);
            var (references, types) = ReadElf(path);
            var actual = relocations.References.Select(r => (r.Name, r.Type, r.InPlt)).ToHashSet();
            Assert.True(references.SetEquals(actual), $"{path}: readelf only: {string.Join(", ", references.Except(actual))}; ours only: {string.Join(", ", actual.Except(references))}");
            Assert.True(types.SetEquals(relocations.Types), $"{path}: types differ");
        }

        // A relocatable object has no dynamic section: nothing for a dynamic linker, whatever its static relocations.
        [Theory]
        [InlineData("/usr/lib/x86_64-linux-gnu/crt1.o")]
        [InlineData("/usr/lib/x86_64-linux-gnu/crti.o")]
        public void ARelocatableObjectHasNoDynamicRelocations(string path)
        {
            Assert.True(System.IO.File.Exists(path), $"{path} is missing (libc6-dev, which gcc brings)");
            var (code, staticText) = TestFiles.Run("readelf", "-r", "-W", path);
            Assert.True(code == 0 && staticText.Contains("R_X86_64_"), $"{path} should have static relocations: {staticText}");
            Assert.Empty(ElfRelocations.Read(ElfFile.Read(path)).References);
            AgreesWithReadelf(path);
        }

        [Fact]
        public void NamesTheRelocationThatNeedsEachSymbol()
        {
            var copy = ElfRelocations.Read(ElfFile.Read(f.Path("copyrel")));
            Assert.Contains(copy.References, r => r.Name == "shared_value" && r.TypeName == "R_X86_64_COPY" && !r.InPlt && !r.Weak);
            var weak = ElfRelocations.Read(ElfFile.Read(f.Path("weak")));
            Assert.Contains(weak.References, r => r.Name == "shared_value" && r.TypeName == "R_X86_64_GLOB_DAT" && r.Weak);
            Assert.True(ElfFile.Read(f.Path("lazynow")).BindNow);
            Assert.False(ElfFile.Read(f.Path("lazy")).BindNow);
        }

        [Fact]
        public void AStaticExecutableHasNone()
        {
            Assert.True(f.HasStatic, "gcc -static failed: libc.a (libc6-dev, which gcc brings) is missing");
            var relocations = ElfRelocations.Read(ElfFile.Read(f.Path("static")));
            Assert.Empty(relocations.References);
        }
    }
}
