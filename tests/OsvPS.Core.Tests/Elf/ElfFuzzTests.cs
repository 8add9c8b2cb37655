using System;
using System.IO;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>Mutated, truncated and random files: the reader and resolver answer with ELF errors only.</summary>
    public class ElfFuzzTests : IClassFixture<ElfFixtures>
    {
        private readonly ElfFixtures f;

        public ElfFuzzTests(ElfFixtures fixtures) => f = fixtures;

        [Theory]
        [InlineData("bin/pie", 1)]
        [InlineData("bin/app-rpath", 2)]
        [InlineData("lib2/libmid.so.1", 3)]
        public void MutationsGiveOnlyElfErrors(string seedFile, int seed)
        {
            var original = File.ReadAllBytes(f.Path(seedFile));
            var random = new Random(seed);
            using var dir = new TempDir();
            int parsed = 0, refused = 0;
            for (int i = 0; i < 1200; i++)
            {
                byte[] data;
                switch (i % 4)
                {
                    case 0: // flips in the headers, where the structure lives
                        data = (byte[])original.Clone();
                        for (int k = random.Next(1, 12); k > 0; k--) data[random.Next(0, Math.Min(data.Length, 1024))] = (byte)random.Next(256);
                        break;
                    case 1: // flips anywhere, the dynamic section and string table included
                        data = (byte[])original.Clone();
                        for (int k = random.Next(1, 40); k > 0; k--) data[random.Next(0, data.Length)] = (byte)random.Next(256);
                        break;
                    case 2: // truncated
                        data = original[..random.Next(0, original.Length)];
                        break;
                    default: // random bytes, sometimes behind a valid magic
                        data = new byte[random.Next(0, 4096)];
                        random.NextBytes(data);
                        if (data.Length >= 4 && random.Next(2) == 0) { data[0] = 0x7f; data[1] = (byte)'E'; data[2] = (byte)'L'; data[3] = (byte)'F'; }
                        break;
                }
                string path = dir.Combine($"m{i}");
                File.WriteAllBytes(path, data);
                try
                {
                    ElfFile.Read(path);
                    new DependencyResolver().Resolve(path);
                    parsed++;
                }
                catch (OsvException e)
                {
                    Assert.True(e.ErrorId == ErrorIds.ElfFormatInvalid || e.ErrorId == ErrorIds.ElfArchitectureNotSupported,
                        $"mutation {i} of {seedFile}: {e.ErrorId}: {e.Message}");
                    refused++;
                }
                File.Delete(path);
            }
            Assert.True(refused > 100, $"only {refused} of 1200 mutations were refused; the fuzzer is not reaching the reader");
            Assert.True(parsed > 10, $"only {parsed} mutations parsed; flips in unused bytes should survive");
        }
    }
}
