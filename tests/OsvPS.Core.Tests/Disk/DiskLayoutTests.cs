using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Disk
{
    public class DiskLayoutTests
    {
        [Theory]
        [InlineData(0L, 0, 1, 0)]
        [InlineData(62L, 0, 63, 0)]
        [InlineData(63L, 1, 1, 0)]
        [InlineData(4096L, 65, 2, 0)]            // 2 MiB: cylinder 0, head 65, sector 2
        [InlineData(16065L, 0, 1, 1)]            // first sector of cylinder 1
        [InlineData(16065L * 300 + 70, 1, 8, 300)]
        [InlineData(16065L * 1023 + 16064, 254, 63, 1023)]
        [InlineData(16065L * 1024, 254, 63, 1023)] // clamped
        public void ChsUses255HeadsAnd63Sectors(long lba, int head, int sector, int cylinder)
        {
            var chs = OsvDiskLayout.Chs(lba);
            Assert.Equal(head, chs[0]);
            Assert.Equal(sector, chs[1] & 0x3F);
            Assert.Equal(cylinder, (chs[1] & 0xC0) << 2 | chs[2]);
        }

        [Fact]
        public void PartitionEntryFields()
        {
            var sector = new byte[512];
            OsvDiskLayout.WritePartitionEntry(sector, 4096, 12345);
            Assert.Equal(0, sector[0x1CE]);
            Assert.Equal(0x83, sector[0x1CE + 4]);
            Assert.Equal(4096u, BitConverter.ToUInt32(sector, 0x1CE + 8));
            Assert.Equal(12345u, BitConverter.ToUInt32(sector, 0x1CE + 12));
            Assert.Equal(OsvDiskLayout.Chs(4096), sector[(0x1CE + 1)..(0x1CE + 4)]);
            Assert.Equal(OsvDiskLayout.Chs(4096 + 12345 - 1), sector[(0x1CE + 5)..(0x1CE + 8)]);
            Assert.NotEqual(0, sector[0x1CE + 2] & 0x3F); // OSv ignores an entry whose start sector is 0
            Assert.Equal(0x55, sector[510]);
            Assert.Equal(0xAA, sector[511]);
        }

        [Theory]
        [InlineData(1, 2 * 1024 * 1024)]
        [InlineData(62, 2 * 1024 * 1024)]         // 64 KiB + 62 x 32 KiB is exactly 2 MiB and stays there
        [InlineData(63, 4 * 1024 * 1024)]
        [InlineData(114, 4 * 1024 * 1024)]        // OSv v0.57's loader.img: 3,801,088 bytes
        [InlineData(200, 8 * 1024 * 1024)]
        public void PartitionStartsAtTheNext2MiBBoundary(int units, long start)
        {
            var boot = TestFiles.Loader(units, 512);
            Assert.Equal(start, OsvDiskLayout.PartitionStart(OsvDiskLayout.LoaderSize(boot, "x")));
        }

        [Theory]
        [InlineData(114, 3_801_088)]
        [InlineData(30, 1 << 20)]
        public void LoaderSizeCountsTheKernelFrom64KiB(int units, long size)
            => Assert.Equal(size, OsvDiskLayout.LoaderSize(TestFiles.Loader(units, 512), "x"));

        [Fact]
        public void ImageHoldsTheWholeLoaderUpToItsLastByte()
        {
            // The size word counts the compressed kernel only; the old reading dropped its last 64 KiB.
            var loader = TestFiles.Loader(30, 1 << 20);
            using var dir = new TempDir();
            string path = dir.File("loader.img", loader);
            using var reader = DiskReader.Open(path);
            var sink = new MemorySink();
            OsvDiskLayout.Compose(reader, path, "cmd", 512, s => s.Write(new byte[512], 0, 512), sink, CancellationToken.None);
            var image = sink.ToArray();
            Assert.Equal(2 * 1024 * 1024 + 512, image.Length);
            Assert.Equal(loader[(64 * 1024)..], image[(64 * 1024)..(1 << 20)]);
            Assert.All(image[(1 << 20)..(2 * 1024 * 1024)], b => Assert.Equal(0, b));
        }

        [Fact]
        public void LoaderShorterThanItsSizeWordIsRefused()
        {
            using var dir = new TempDir();
            string path = dir.File("loader.img", TestFiles.Loader(32, 1 << 20));
            using var reader = DiskReader.Open(path);
            var e = Assert.Throws<OsvException>(() => OsvDiskLayout.LoaderSize(reader, path));
            Assert.Equal("LoaderImageInvalid", e.ErrorId);
            Assert.Contains("1114112", e.Message);
        }

        [Fact]
        public void LoaderWithoutBootSignatureIsRefused()
        {
            var boot = TestFiles.Loader(32, 512);
            boot[511] = 0;
            Assert.Equal("LoaderImageInvalid", Assert.Throws<OsvException>(() => OsvDiskLayout.LoaderSize(boot, "x")).ErrorId);
        }

        [Fact]
        public void CommandLineSectorsAreNulTerminatedAndZeroPadded()
        {
            var s = OsvDiskLayout.CommandLineSectors(new string('c', 511));
            Assert.Equal(512, s.Length);
            Assert.Equal(0, s[511]);
            var t = OsvDiskLayout.CommandLineSectors(new string('c', 512));
            Assert.Equal(1024, t.Length);
            Assert.All(t[512..], b => Assert.Equal(0, b));
        }

        [Fact]
        public void Qcow2OverFourGiBWithSparseRegionsPassesQemuImg()
        {
            if (!TestFiles.Has("qemu-img")) throw new InvalidOperationException("qemu-img is required (.ci/run installs qemu-utils)");
            using var dir = new TempDir();
            string raw = dir.Combine("big.raw"), qcow = dir.Combine("big.qcow2");
            foreach (var (path, format) in new[] { (raw, DiskFormat.Raw), (qcow, DiskFormat.Qcow2) })
            {
                using var f = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite);
                var w = OsvDiskLayout.CreateWriter(f, format);
                var data = new byte[200_000];
                new Random(1).NextBytes(data);
                w.Write(data, 0, data.Length);
                w.WriteZeros(5L * 1024 * 1024 * 1024 + 123 * 512 - data.Length);
                w.Write(data, 0, 4096);
                w.WriteZeros(600L * 1024 * 1024); // another L2 table's span, all zero
                w.Write(data, 100, 1536);
                w.Complete();
            }
            var check = TestFiles.Run("qemu-img", "check", "-f", "qcow2", qcow);
            Assert.True(check.code == 0, check.output);
            Assert.Contains("No errors were found", check.output);
            var info = TestFiles.Run("qemu-img", "info", "--output=json", qcow);
            Assert.Contains("\"virtual-size\": " + new FileInfo(raw).Length, info.output);
            Assert.Contains("\"compat\": \"1.1\"", info.output); // version 3
            var compare = TestFiles.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw, qcow);
            Assert.True(compare.code == 0, compare.output);
            Assert.True(new FileInfo(qcow).Length < 2 * 1024 * 1024, "sparse regions must not be stored");
            using var reader = DiskReader.Open(qcow);
            Assert.Equal(new FileInfo(raw).Length, reader.VirtualSize);
            var tail = reader.Read(5L * 1024 * 1024 * 1024 + 123 * 512, 16);
            var expected = new byte[200_000];
            new Random(1).NextBytes(expected);
            Assert.Equal(expected[..16], tail);
        }
    }
}
