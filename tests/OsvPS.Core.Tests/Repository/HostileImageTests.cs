using System;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Repository
{
    /// <summary>Images and ELF files made to mislead a reader: refused before anything is allocated, without hiding the others.</summary>
    public sealed class HostileImageTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        [Fact]
        public void AMalformedImageDoesNotHideTheOthers()
        {
            var repo = new CapstanRepository(dir.Combine("capstan"));
            dir.File("capstan/repository/good/good.qemu", TestFiles.Loader());
            var header = new byte[1024];
            Encoding.ASCII.GetBytes("QFI\xfb").CopyTo(header, 0);
            header[0] = (byte)'Q'; header[1] = (byte)'F'; header[2] = (byte)'I'; header[3] = 0xFB;
            header[7] = 3;               // version 3
            header[23] = 16;             // cluster bits
            for (int i = 24; i < 32; i++) header[i] = 0xFF; // a 16 EiB virtual size
            header[39] = 1;              // one L1 entry
            for (int i = 40; i < 48; i++) header[i] = 0xFF; // at a negative offset
            dir.File("capstan/repository/bad/bad.qemu", header);
            var images = repo.GetImages().ToList();
            Assert.Equal(new[] { "bad", "good" }, images.Select(i => i.Name));
            Assert.Null(images[0].VirtualSize);
            Assert.Equal(1 << 20, images[1].VirtualSize);
        }

        [Fact]
        public void AnOversizedProgramHeaderEntryIsRefusedBeforeAllocating()
        {
            var bytes = File.ReadAllBytes("/usr/bin/gzip");
            bytes[54] = 0xFF; bytes[55] = 0xFF; // e_phentsize 65535
            string path = dir.File("bad-elf", bytes);
            Assert.Equal(ErrorIds.ElfFormatInvalid, Assert.Throws<OsvException>(() => OsvPS.Core.Elf.ElfFile.Read(path)).ErrorId);
        }
    }
}
