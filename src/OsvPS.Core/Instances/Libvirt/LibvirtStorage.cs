using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Xml.Linq;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Libvirt;

namespace OsvPS.Core.Instances.Libvirt
{
    /// <summary>
    /// The storage side of libvirt instances: the pool, image and kernel volumes named by their content
    /// (uploaded once), each instance's overlay, and the console read back through libvirt's streams.
    /// </summary>
    internal sealed class LibvirtStorage
    {
        private readonly LibvirtConnection libvirt;

        public LibvirtStorage(LibvirtConnection libvirt) => this.libvirt = libvirt;

        // The pool, defined as a dir pool under libvirt's image folder when the connection has none of that name.
        public LibvirtPool EnsurePool(string name)
        {
            var pool = libvirt.FindPool(name);
            if (pool == null)
            {
                var xml = new XElement("pool", new XAttribute("type", "dir"), new XElement("name", name),
                    new XElement("target", new XElement("path", "/var/lib/libvirt/images/" + name)));
                pool = libvirt.DefinePool(xml.ToString(SaveOptions.DisableFormatting), name);
                pool.Build();
                pool.SetAutostart();
            }
            if (!pool.IsActive())
            {
                pool.Start();
            }
            return pool;
        }

        /// <summary>The volume name a file gets: its content hash, so equal content is uploaded once per pool.</summary>
        public static string ContentVolumeName(string file, string suffix) => "osvps-" + IO.FileHash.Sha256(file).Substring(0, 32) + suffix;

        // A file as a volume named by its content, uploaded when the pool has no complete copy of it.
        public string UploadOnce(LibvirtPool pool, string file, string suffix, CancellationToken cancellation)
        {
            string name = ContentVolumeName(file, suffix);
            // Volumes cannot be renamed through the API: a marker volume stands beside an upload while it
            // runs, so a volume found with its marker is what an interrupted upload left, and goes.
            string partial = name + ".partial";
            using (var marker = pool.FindVolume(partial))
            {
                if (marker != null)
                {
                    using (var cut = pool.FindVolume(name))
                    {
                        cut?.Delete();
                    }
                    marker.Delete();
                }
            }
            using (var existing = pool.FindVolume(name))
            {
                if (existing != null)
                {
                    return name;
                }
            }
            using (var marker = pool.CreateVolume(VolumeXml(partial, 0), partial))
            using (var volume = pool.CreateVolume(VolumeXml(name, new FileInfo(file).Length), name))
            {
                try
                {
                    volume.Upload(file, cancellation);
                }
                catch
                {
                    volume.Delete();
                    throw;
                }
                finally
                {
                    marker.Delete();
                }
            }
            return name;
        }

        private static string VolumeXml(string name, long bytes)
            => new XElement("volume", new XElement("name", name), new XElement("capacity", new XAttribute("unit", "bytes"), bytes),
                new XElement("target", new XElement("format", new XAttribute("type", "raw")))).ToString(SaveOptions.DisableFormatting);

        // The instance's overlay, written here against the image volume's path on the host, then uploaded.
        public string UploadOverlay(LibvirtPool pool, string volumeName, StartPlan plan, string imageVolume, CancellationToken cancellation)
        {
            string backing;
            using (var image = pool.FindVolume(imageVolume) ?? throw new OsvException(ErrorIds.LibvirtFailed, OsvErrorKind.ObjectNotFound,
                $"volume '{imageVolume}' went missing from storage pool '{pool.Name}'.", imageVolume))
            {
                backing = image.Path();
            }
            string local = Path.Combine(Path.GetTempPath(), $"osvps-overlay-{Guid.NewGuid():N}.qcow2");
            try
            {
                Overlay.Create(local, plan.Request.ImagePath, plan.ImageFormat, plan.RewriteDisk ? plan.GuestCommandLine : null, backing);
                using (var stale = pool.FindVolume(volumeName))
                {
                    stale?.Delete();
                }
                using (var volume = pool.CreateVolume(VolumeXml(volumeName, new FileInfo(local).Length), volumeName))
                {
                    try
                    {
                        volume.Upload(local, cancellation);
                    }
                    catch
                    {
                        volume.Delete();
                        throw;
                    }
                    return volume.Path();
                }
            }
            finally
            {
                AtomicFile.TryDelete(local);
            }
        }

        // Brings the local copy of the console up to date by downloading what the host appended since.
        public void SyncConsole(XElement meta, XElement xml, string mirror)
        {
            string? pool = meta.Attribute("pool")?.Value;
            string? path = xml.Element("devices")?.Elements("serial").FirstOrDefault()?.Element("source")?.Attribute("path")?.Value;
            if (pool == null || path == null)
            {
                return;
            }
            using (var storage = libvirt.FindPool(pool))
            {
                if (storage == null)
                {
                    return;
                }
                string volumeName = Path.GetFileName(path);
                var volume = storage.FindVolume(volumeName);
                if (volume == null)
                {
                    storage.Refresh();
                    volume = storage.FindVolume(volumeName);
                }
                if (volume == null)
                {
                    return; // the domain has not run yet
                }
                using (volume)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(mirror)!);
                    using (var local = new FileStream(mirror, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                    {
                        local.Seek(0, SeekOrigin.End);
                        volume.Download(local.Length, local);
                    }
                }
            }
        }
    }
}
