using System.IO;
using OsvPS.Core.Disk;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Disk
{
    public class OverlayTests
    {
        [Theory]
        [InlineData(DiskFormat.Raw)]
        [InlineData(DiskFormat.Qcow2)]
        public void OverlayReadsThroughAndOverridesOnlyTheCommandLine(DiskFormat format)
        {
            using var dir = new TempDir();
            var loader = TestFiles.Loader();
            string raw = dir.File("image.raw", loader);
            string image = raw;
            if (format == DiskFormat.Qcow2)
            {
                image = dir.Combine("image.qcow2");
                Assert.Equal(0, TestFiles.Run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, image).code);
            }
            string before = File.ReadAllText(image);
            string plain = dir.Combine("plain.qcow2"), patched = dir.Combine("patched.qcow2");
            Overlay.Create(plain, image, format, null);
            Overlay.Create(patched, image, format, "--env=A=1 runscript /run/x;");
            foreach (var overlay in new[] { plain, patched })
            {
                var check = TestFiles.Run("qemu-img", "check", overlay);
                Assert.True(check.code == 0, check.output);
                var info = TestFiles.Run("qemu-img", "info", overlay);
                Assert.Contains("backing file: " + Path.GetFullPath(image), info.output);
                Assert.Contains("backing file format: " + (format == DiskFormat.Raw ? "raw" : "qcow2"), info.output);
            }
            Assert.Equal(0, TestFiles.Run("qemu-img", "compare", plain, image).code);
            string flat = dir.Combine("flat.raw");
            Assert.Equal(0, TestFiles.Run("qemu-img", "convert", "-O", "raw", patched, flat).code);
            var bytes = File.ReadAllBytes(flat);
            Assert.Equal(loader.Length, bytes.Length);
            string cmd = "--env=A=1 runscript /run/x;";
            Assert.Equal(cmd, System.Text.Encoding.ASCII.GetString(bytes, 512, cmd.Length));
            for (int i = 0; i < loader.Length; i++)
            {
                if (i < 512 || i >= 1024) Assert.True(loader[i] == bytes[i], $"byte {i}");
            }
            Assert.Equal(before, File.ReadAllText(image)); // the image is never written
        }

        [Fact]
        public void OverlayForAnotherHostNamesTheBackingPathGivenAndReadsTheImageFromHere()
        {
            // A libvirt overlay is made here against the image volume's path on the libvirt host.
            using var dir = new TempDir();
            string image = dir.File("image.raw", TestFiles.Loader());
            string overlay = dir.Combine("remote.qcow2");
            const string hostPath = "/var/lib/libvirt/images/pool/osvps-0123.img";
            Overlay.Create(overlay, image, DiskFormat.Raw, "runscript /run/x;", hostPath);
            var info = TestFiles.Run("qemu-img", "info", "--output=json", overlay);
            Assert.True(info.code == 0, info.output);
            Assert.Contains("\"backing-filename\": \"" + hostPath + "\"", info.output);
            Assert.Contains("\"backing-filename-format\": \"raw\"", info.output);
            // Pointed back at the image here, it reads as the image with the command line in place.
            Assert.Equal(0, TestFiles.Run("qemu-img", "rebase", "-u", "-b", image, "-F", "raw", overlay).code);
            string flat = dir.Combine("flat.raw");
            Assert.Equal(0, TestFiles.Run("qemu-img", "convert", "-O", "raw", overlay, flat).code);
            Assert.Equal("runscript /run/x;", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(flat), 512, 17));
        }
    }
}
