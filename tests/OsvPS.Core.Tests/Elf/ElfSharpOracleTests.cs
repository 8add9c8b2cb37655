using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using OsvPS.Core.Elf;
using Xunit;
using Xunit.Abstractions;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>
    /// The product reads ELF program headers itself (ELFSharp was 40 times slower per file, see
    /// bench/Resolve-Elf.ps1); ELFSharp, reading the section headers, checks what it reads.
    /// </summary>
    public class ElfSharpOracleTests
    {
        private readonly ITestOutputHelper output;

        public ElfSharpOracleTests(ITestOutputHelper output) => this.output = output;

        [Fact]
        public void HeaderReaderAgreesWithElfSharpOnMachineFiles()
        {
            var files = new[] { "/usr/bin", "/usr/lib/x86_64-linux-gnu" }
                .SelectMany(d => Directory.GetFiles(d).OrderBy(f => f, StringComparer.Ordinal))
                .Where(f => new FileInfo(f).LinkTarget == null)
                .ToList();
            int compared = 0;
            var failures = new List<string>();
            foreach (string file in files.Where((_, i) => i % 5 == 0))
            {
                if (!ELFReader.TryLoad(file, out IELF elf))
                {
                    continue;
                }
                using (elf)
                {
                    if (elf.Class != Class.Bit64 || !elf.HasSectionHeader)
                    {
                        continue;
                    }
                    var dynamic = elf.Sections.FirstOrDefault(s => s.Type == SectionType.Dynamic) as IDynamicSection;
                    var dynstr = elf.Sections.FirstOrDefault(s => s.Name == ".dynstr");
                    var needed = new List<string>();
                    string? soname = null;
                    if (dynamic != null && dynstr != null)
                    {
                        byte[] strings = dynstr.GetContents();
                        string At(ulong offset)
                        {
                            int end = Array.IndexOf(strings, (byte)0, (int)offset);
                            return Encoding.UTF8.GetString(strings, (int)offset, end - (int)offset);
                        }
                        foreach (var entry in dynamic.Entries)
                        {
                            var tag = (long)entry.Tag;
                            ulong value = entry is ELFSharp.ELF.Sections.DynamicEntry<ulong> e64 ? e64.Value : 0;
                            if (tag == 1) needed.Add(At(value));
                            if (tag == 14) soname = At(value);
                        }
                    }
                    var ours = ElfFile.Read(file);
                    bool sameType = ours.Kind switch
                    {
                        ElfKind.PositionIndependentExecutable or ElfKind.SharedLibrary => elf.Type == FileType.SharedObject,
                        ElfKind.DynamicExecutable => elf.Type == FileType.Executable,
                        ElfKind.StaticExecutable => elf.Type == FileType.Executable || elf.Type == FileType.SharedObject,
                        _ => elf.Type != FileType.Executable && elf.Type != FileType.SharedObject,
                    };
                    if (!needed.SequenceEqual(ours.Needed) || soname != ours.Soname || (ushort)elf.Machine != ours.Machine || !sameType)
                    {
                        failures.Add($"{file}: ELFSharp needed [{string.Join(",", needed)}] soname {soname} type {elf.Type}; ours [{string.Join(",", ours.Needed)}] {ours.Soname} {ours.Kind}");
                    }
                    compared++;
                }
            }
            output.WriteLine($"compared {compared} files");
            Assert.True(compared >= 100, $"only {compared} files compared");
            Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        }
    }
}
