using System;
using System.IO;
using OsvPS.Core.IO;

namespace OsvPS.Core.Disk
{
    /// <summary>Per-instance qcow2 overlays: a run writes here, never into the image.</summary>
    internal static class Overlay
    {
        /// <summary>
        /// Writes a qcow2 overlay of <paramref name="imagePath"/>. With <paramref name="commandLine"/> its first
        /// cluster holds the image's first cluster with that command line in place of the image's own.
        /// <paramref name="backingPath"/> is where the image is for the one who runs the overlay (a libvirt
        /// volume's path on its host); the image itself is read from <paramref name="imagePath"/>.
        /// </summary>
        public static void Create(string overlayPath, string imagePath, DiskFormat imageFormat, string? commandLine, string? backingPath = null)
        {
            using (var image = DiskReader.Open(imagePath))
            {
                long size = (image.VirtualSize + 511) / 512 * 512;
                string format = imageFormat == DiskFormat.Qcow2 ? "qcow2" : "raw";
                AtomicFile.Write(overlayPath, file =>
                {
                    var writer = new ClusterWriter(new Qcow2ClusterStore(file, backingPath ?? Path.GetFullPath(imagePath), format));
                    if (commandLine != null)
                    {
                        byte[] first = image.Read(0, ClusterWriter.ClusterSize);
                        byte[] sectors = OsvDiskLayout.CommandLineSectors(commandLine);
                        Buffer.BlockCopy(sectors, 0, first, OsvDiskLayout.CommandLineOffset, sectors.Length);
                        writer.Write(first, 0, (int)Math.Min(first.Length, size));
                    }
                    writer.WriteZeros(size - writer.Position);
                    writer.Complete();
                });
            }
        }
    }
}
