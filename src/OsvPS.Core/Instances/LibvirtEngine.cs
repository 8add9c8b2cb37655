using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Xml.Linq;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Libvirt;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Rofs;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// Instances as domains of a libvirt connection (<c>qemu:///system</c>, <c>qemu+ssh://host/system</c>),
    /// through libvirt's C API. An image (and its kernel) becomes a volume of a storage pool named by its
    /// content, uploaded through a libvirt stream once; each instance gets a qcow2 overlay made here (with
    /// the run's command line when it boots from disk) and uploaded beside it, and a domain named
    /// <c>osvps-&lt;name&gt;</c> whose metadata marks it as OsvPS's. The serial console is a file in the pool,
    /// read back through the same streams into a local copy, so following it works on a remote host too.
    /// </summary>
    public sealed class LibvirtEngine : IInstanceEngine
    {
        public const string DomainPrefix = "osvps-";
        private const string ConsoleSuffix = ".console";
        private const string OverlaySuffix = ".qcow2";
        // libvirt 9.2.0: the first with <portForward> for user networking (its passt backend).
        private const ulong PasstVersion = 9002000;
        private static readonly XNamespace Meta = "https://osvps.dev/libvirt/instance/1";

        private readonly CapstanRepository repository;
        private readonly LibvirtConnection libvirt;

        public LibvirtEngine(string connection, CapstanRepository repository)
        {
            ValidateUri(connection);
            this.repository = repository;
            libvirt = LibvirtConnection.Open(connection);
            Connection = connection;
        }

        public string Connection { get; }

        /// <summary>A libvirt URI has a driver and '://': <c>qemu:///system</c>, <c>qemu+ssh://user@host/system</c>.</summary>
        public static void ValidateUri(string connection)
        {
            int scheme = connection?.IndexOf("://", StringComparison.Ordinal) ?? -1;
            if (connection == null || scheme <= 0 || connection.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
                || !connection.Substring(0, scheme).All(c => char.IsLetterOrDigit(c) || c == '+' || c == '-' || c == '.'))
            {
                throw new OsvException("ConnectionInvalid", OsvErrorKind.InvalidArgument,
                    $"'{connection}' is not a libvirt connection URI (such as qemu:///system or qemu+ssh://host/system).", connection);
            }
        }

        public static void ValidatePool(string pool)
        {
            if (pool.Length == 0 || pool.Length > 64 || pool[0] == '.' || !pool.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '-' || c == '.')))
            {
                throw new OsvException("StoragePoolInvalid", OsvErrorKind.InvalidArgument,
                    $"'{pool}' is not a storage pool name: use up to 64 letters, digits, '.', '_' and '-'.", pool);
            }
        }

        private static string DomainName(string name) => DomainPrefix + name;

        // The local copy of a domain's console: per connection, so two hosts may have instances of one name.
        private string MirrorPath(string name)
        {
            using (var sha = SHA256.Create())
            {
                string key = BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(Connection)), 0, 8).Replace("-", "").ToLowerInvariant();
                return Path.Combine(repository.Root, "instances", "libvirt", key, name + ConsoleSuffix);
            }
        }

        /// <summary>What a start on this connection will do, checked before anything is uploaded.</summary>
        private sealed class Prepared
        {
            public string Name = "", Domain = "", CommandLine = "", BootMode = "";
            public string? Kernel;
            public DiskFormat Format;
            public bool RewriteDisk;
            public IReadOnlyList<string> Sets = new string[0];
        }

        private Prepared Prepare(StartRequest request)
        {
            string name = request.Name ?? request.ImageName.Replace('/', '-');
            InstanceManager.ValidateName(name);
            var machine = request.Machine;
            InstanceManager.ValidateMachine(machine, name);
            if (machine.Volumes.Count > 0)
            {
                throw new OsvException("LibvirtNotSupported", OsvErrorKind.NotImplemented,
                    "-Volume is not available on a libvirt connection: the files are on this machine, not the libvirt host. Attach pool volumes with virsh attach-disk.", name);
            }
            if (!File.Exists(request.ImagePath))
            {
                throw new OsvException("ImageNotFound", OsvErrorKind.ObjectNotFound, $"image file '{request.ImagePath}' does not exist.", request.ImagePath);
            }
            var format = DiskFormats.Detect(request.ImagePath);
            if (format != DiskFormat.Raw && format != DiskFormat.Qcow2)
            {
                throw new OsvException("DiskFormatNotSupported", OsvErrorKind.InvalidOperation,
                    $"'{request.ImagePath}' is {format}; a libvirt instance needs a raw or qcow2 image (build with -Format qcow2).", request.ImagePath);
            }
            string? kernel = request.BootMode == BootMode.Disk ? null : new InstanceManager(repository).FindKernel(request.ImagePath);
            if (kernel != null)
            {
                InstanceManager.CheckKernel(kernel);
            }
            if (request.BootMode == BootMode.Kernel && kernel == null)
            {
                throw new OsvException("KernelNotFound", OsvErrorKind.ObjectNotFound,
                    $"image '{request.ImageName}' has no kernel ELF beside it or its loader; attach one with 'Import-OsvImage -Kernel', or use -BootMode Disk.", request.ImageName);
            }
            bool rewrite = request.Boot?.Count > 0 || request.Env?.Count > 0 || !string.IsNullOrEmpty(request.CommandLine);
            var prepared = new Prepared { Name = name, Domain = DomainName(name), Kernel = kernel, Format = format, BootMode = kernel == null ? "Disk" : "Kernel" };
            using (var disk = DiskReader.Open(request.ImagePath))
            {
                prepared.Sets = RofsIndex.List(disk, "/run");
                prepared.CommandLine = InstanceManager.RunCommandLine(request, disk);
            }
            prepared.RewriteDisk = rewrite && kernel == null;
            return prepared;
        }

        private static string GuestCommandLine(string commandLine)
            => commandLine.Length == 0 || commandLine.Contains(GuestFailureDetector.PowerOffOnAbort) ? commandLine : GuestFailureDetector.PowerOffOnAbort + " " + commandLine;

        /// <summary>
        /// Defines and starts a domain for <paramref name="request"/>. The image and kernel go into
        /// <paramref name="pool"/> once per content; a stopped OsvPS domain of the same name is replaced.
        /// </summary>
        public OsvInstance Start(StartRequest request, string pool, CancellationToken cancellation)
        {
            ValidatePool(pool);
            var prepared = Prepare(request);
            if (request.Machine.Forwards.Count > 0 && libvirt.DaemonVersion() is ulong version && version < PasstVersion)
            {
                throw new OsvException("LibvirtNotSupported", OsvErrorKind.NotImplemented,
                    $"-Forward on a libvirt connection needs libvirt 9.2 or later on the host (port forwards of user networking come with its passt backend); {Connection} runs libvirt {version / 1000000}.{version / 1000 % 1000}.{version % 1000}. Put the instance on a bridge (-Network Bridge) or a libvirt network and reach its address instead.", prepared.Name);
            }
            using (var existing = libvirt.FindDomain(prepared.Domain))
            {
                if (existing != null)
                {
                    if (ReadMeta(existing) == null)
                    {
                        throw new OsvException("DomainExists", OsvErrorKind.ResourceExists,
                            $"{Connection} has a domain '{prepared.Domain}' that OsvPS did not make; start the instance with another -Name.", prepared.Name);
                    }
                    if (existing.IsActive())
                    {
                        throw new OsvException("InstanceExists", OsvErrorKind.ResourceExists,
                            $"instance '{prepared.Name}' is running on {Connection}; stop it with 'Stop-OsvInstance {prepared.Name} -Connection {Connection}' or start another with -Name.", prepared.Name);
                    }
                    RemoveDomain(existing, cancellation);
                }
            }

            using (var storage = EnsurePool(pool))
            {
                string imageVolume = UploadOnce(storage, request.ImagePath, prepared.Format == DiskFormat.Qcow2 ? ".qcow2" : ".img", cancellation);
                string? kernelVolume = prepared.Kernel == null ? null : UploadOnce(storage, prepared.Kernel, ".elf", cancellation);
                string overlayVolume = prepared.Domain + OverlaySuffix;
                string overlayPath = UploadOverlay(storage, overlayVolume, request.ImagePath, imageVolume, prepared, cancellation);
                string consolePath = Path.Combine(Path.GetDirectoryName(overlayPath)!, prepared.Domain + ConsoleSuffix);
                string? kernelPath = null;
                if (kernelVolume != null)
                {
                    using (var volume = storage.FindVolume(kernelVolume)!)
                    {
                        kernelPath = volume.Path();
                    }
                }
                using (var stale = storage.FindVolume(prepared.Domain + ConsoleSuffix))
                {
                    stale?.Delete();
                }
                AtomicFile.TryDelete(MirrorPath(prepared.Name));

                string xml = DomainXml(prepared, request, pool, overlayVolume, kernelPath, consolePath).ToString(SaveOptions.DisableFormatting);
                using (var domain = libvirt.DefineDomain(xml, prepared.Domain))
                {
                    try
                    {
                        domain.Start();
                    }
                    catch (OsvException)
                    {
                        // A domain that never ran is not left behind for the next start to trip over.
                        RemoveDomain(domain, cancellation);
                        throw;
                    }
                }
                storage.Refresh(); // the console file libvirt just made becomes a volume the cmdlets can read
            }
            return Get(prepared.Name, cancellation);
        }

        private XElement DomainXml(Prepared prepared, StartRequest request, string pool, string overlayVolume, string? kernelPath, string consolePath)
        {
            var os = new XElement("os", new XElement("type", new XAttribute("arch", "x86_64"), new XAttribute("machine", "pc"), "hvm"));
            if (kernelPath != null)
            {
                os.Add(new XElement("kernel", kernelPath), new XElement("cmdline", GuestCommandLine(prepared.CommandLine)));
            }
            else
            {
                os.Add(new XElement("boot", new XAttribute("dev", "hd")));
            }
            var machine = request.Machine;
            XElement? network = machine.Network switch
            {
                NetworkMode.None => null,
                NetworkMode.Bridge => new XElement("interface", new XAttribute("type", "bridge"),
                    new XElement("source", new XAttribute("bridge", machine.Bridge ?? "virbr0")), new XElement("model", new XAttribute("type", "virtio"))),
                NetworkMode.Tap => new XElement("interface", new XAttribute("type", "ethernet"),
                    new XElement("target", new XAttribute("dev", machine.TapDevice!), new XAttribute("managed", "no")), new XElement("model", new XAttribute("type", "virtio"))),
                // Forwards need libvirt's passt backend (libvirt 9.0 and the passt program on the host);
                // without forwards, QEMU's own user networking needs nothing more.
                _ when machine.Forwards.Count > 0 => new XElement("interface", new XAttribute("type", "user"),
                    new XElement("backend", new XAttribute("type", "passt")),
                    machine.Forwards.Select(f => new XElement("portForward", new XAttribute("proto", f.Protocol),
                        new XElement("range", new XAttribute("start", f.HostPort), new XAttribute("to", f.GuestPort)))),
                    new XElement("model", new XAttribute("type", "virtio"))),
                _ => new XElement("interface", new XAttribute("type", "user"), new XElement("model", new XAttribute("type", "virtio"))),
            };
            return new XElement("domain", new XAttribute("type", request.Accelerator == Accelerator.Kvm ? "kvm" : "qemu"),
                new XElement("name", prepared.Domain),
                new XElement("metadata", new XElement(Meta + "instance", new XAttribute(XNamespace.Xmlns + "osvps", Meta),
                    new XAttribute("name", prepared.Name),
                    new XAttribute("image", request.ImageName),
                    new XAttribute("commandLine", prepared.CommandLine),
                    new XAttribute("configSets", string.Join(",", prepared.Sets)),
                    new XAttribute("bootMode", prepared.BootMode),
                    new XAttribute("pool", pool),
                    new XAttribute("started", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture)))),
                new XElement("memory", new XAttribute("unit", "MiB"), machine.MemoryMiB),
                new XElement("vcpu", machine.Cpus),
                os,
                new XElement("features", new XElement("acpi")),
                new XElement("on_poweroff", "destroy"), new XElement("on_reboot", "destroy"), new XElement("on_crash", "destroy"),
                new XElement("devices",
                    new XElement("disk", new XAttribute("type", "volume"), new XAttribute("device", "disk"),
                        new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "qcow2"), new XAttribute("cache", "unsafe")),
                        new XElement("source", new XAttribute("pool", pool), new XAttribute("volume", overlayVolume)),
                        new XElement("target", new XAttribute("dev", "vda"), new XAttribute("bus", "virtio"))),
                    network,
                    new XElement("serial", new XAttribute("type", "file"),
                        new XElement("source", new XAttribute("path", consolePath), new XAttribute("append", "off")),
                        new XElement("target", new XAttribute("port", 0))),
                    new XElement("rng", new XAttribute("model", "virtio"), new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")),
                    new XElement("memballoon", new XAttribute("model", "none"))));
        }

        // The pool, defined as a dir pool under libvirt's image folder when the connection has none of that name.
        private LibvirtPool EnsurePool(string name)
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
        public static string ContentVolumeName(string file, string suffix) => "osvps-" + Remote.Downloader.Sha256(file).Substring(0, 32) + suffix;

        // A file as a volume named by its content, uploaded when the pool has no complete copy of it.
        private string UploadOnce(LibvirtPool pool, string file, string suffix, CancellationToken cancellation)
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
        private string UploadOverlay(LibvirtPool pool, string volumeName, string imagePath, string imageVolume, Prepared prepared, CancellationToken cancellation)
        {
            string backing;
            using (var image = pool.FindVolume(imageVolume) ?? throw new OsvException("LibvirtFailed", OsvErrorKind.ObjectNotFound,
                $"volume '{imageVolume}' went missing from storage pool '{pool.Name}'.", imageVolume))
            {
                backing = image.Path();
            }
            string local = Path.Combine(Path.GetTempPath(), $"osvps-overlay-{Guid.NewGuid():N}.qcow2");
            try
            {
                Overlay.Create(local, imagePath, prepared.Format, prepared.RewriteDisk ? GuestCommandLine(prepared.CommandLine) : null, backing);
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

        /// <summary>OsvPS's domains on this connection, as instances, sorted by name.</summary>
        public IEnumerable<OsvInstance> List(CancellationToken cancellation)
        {
            var result = new List<OsvInstance>();
            foreach (string domain in libvirt.DomainNames().Where(n => n.StartsWith(DomainPrefix, StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
            {
                cancellation.ThrowIfCancellationRequested();
                string name = domain.Substring(DomainPrefix.Length);
                if (IsInstanceName(name) && TryGet(name) is OsvInstance instance)
                {
                    result.Add(instance);
                }
            }
            return result;
        }

        private static bool IsInstanceName(string name)
        {
            try
            {
                InstanceManager.ValidateName(name);
                return true;
            }
            catch (OsvException)
            {
                return false;
            }
        }

        public OsvInstance Get(string name, CancellationToken cancellation)
        {
            InstanceManager.ValidateName(name);
            return TryGet(name) ?? throw new OsvException("InstanceNotFound", OsvErrorKind.ObjectNotFound, $"there is no instance '{name}' on {Connection}.", name);
        }

        private static XElement? ReadMeta(LibvirtDomain domain) => ReadMeta(XElement.Parse(domain.Xml()));

        private static XElement? ReadMeta(XElement xml) => xml.Element("metadata")?.Element(Meta + "instance");

        private OsvInstance? TryGet(string name)
        {
            using (var domain = libvirt.FindDomain(DomainName(name)))
            {
                if (domain == null)
                {
                    return null;
                }
                var xml = XElement.Parse(domain.Xml());
                var meta = ReadMeta(xml);
                if (meta == null)
                {
                    return null; // not one of OsvPS's
                }
                int state = domain.State();
                bool active = LibvirtDomain.IsActiveState(state);
                string mirror = MirrorPath(name);
                SyncConsole(meta, xml, mirror);
                InstanceState current = active ? InstanceState.Running : state == LibvirtNative.DomainCrashed ? InstanceState.Crashed : InstanceState.Stopped;
                GuestFailure? failure = active ? null : GuestFailureDetector.Scan(mirror);
                if (failure != null)
                {
                    current = InstanceState.Failed;
                }
                DateTime? started = DateTime.TryParse(meta.Attribute("started")?.Value, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when) ? when : (DateTime?)null;
                string? disk = xml.Element("devices")?.Element("disk")?.Element("source")?.Attribute("volume")?.Value;
                string[] forwards = (xml.Element("devices")?.Elements("interface").Elements("portForward") ?? Enumerable.Empty<XElement>())
                    .SelectMany(f => f.Elements("range").Select(r => $"{f.Attribute("proto")?.Value}:{r.Attribute("start")?.Value}:{r.Attribute("to")?.Value}")).ToArray();
                return new OsvInstance(name, DomainName(name), current, null, meta.Attribute("image")?.Value ?? "", disk ?? "", started, null, forwards, mirror,
                    xml.Attribute("type")?.Value == "kvm" ? "Kvm" : "Tcg", meta.Attribute("bootMode")?.Value ?? "", meta.Attribute("commandLine")?.Value ?? "",
                    null, new string[0], failure?.Reason, failure?.ErrorId, "Libvirt", Connection);
            }
        }

        // Brings the local copy of the console up to date by downloading what the host appended since.
        private void SyncConsole(XElement meta, XElement xml, string mirror)
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

        /// <summary>An ACPI shutdown, then destroy after <paramref name="timeout"/>; <paramref name="force"/> destroys at once.</summary>
        public OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation)
        {
            var instance = Get(name, cancellation);
            if (instance.State != InstanceState.Running)
            {
                return instance;
            }
            using (var domain = libvirt.FindDomain(DomainName(name)))
            {
                if (domain != null && domain.IsActive())
                {
                    if (!force)
                    {
                        try
                        {
                            domain.Shutdown();
                        }
                        catch (OsvException)
                        {
                            // It stopped by itself meanwhile, or refuses ACPI: destroy below decides.
                        }
                        var clock = Stopwatch.StartNew();
                        while (clock.Elapsed < timeout && domain.IsActive())
                        {
                            cancellation.ThrowIfCancellationRequested();
                            Thread.Sleep(50);
                        }
                    }
                    if (domain.IsActive())
                    {
                        domain.Destroy();
                    }
                }
            }
            return Get(name, cancellation);
        }

        /// <summary>Undefines the domain and deletes its overlay and console volumes; a running one only with <paramref name="force"/>.</summary>
        public void Remove(string name, bool force, CancellationToken cancellation)
        {
            var instance = Get(name, cancellation);
            if (instance.State == InstanceState.Running && !force)
            {
                throw new OsvException("InstanceRunning", OsvErrorKind.InvalidOperation,
                    $"instance '{name}' is running on {Connection}; stop it first or use -Force.", name);
            }
            using (var domain = libvirt.FindDomain(DomainName(name)))
            {
                if (domain != null)
                {
                    RemoveDomain(domain, cancellation);
                }
            }
            AtomicFile.TryDelete(MirrorPath(name));
        }

        private void RemoveDomain(LibvirtDomain domain, CancellationToken cancellation)
        {
            var xml = XElement.Parse(domain.Xml());
            domain.Destroy();
            domain.Undefine();
            string? pool = ReadMeta(xml)?.Attribute("pool")?.Value ?? xml.Element("devices")?.Element("disk")?.Element("source")?.Attribute("pool")?.Value;
            if (pool == null)
            {
                return;
            }
            using (var storage = libvirt.FindPool(pool))
            {
                if (storage == null)
                {
                    return;
                }
                storage.Refresh();
                foreach (string volumeName in new[] { domain.Name + OverlaySuffix, domain.Name + ConsoleSuffix })
                {
                    using (var volume = storage.FindVolume(volumeName))
                    {
                        volume?.Delete();
                    }
                }
            }
        }

        public bool Wait(string name, TimeSpan? timeout, CancellationToken cancellation) => Wait(name, timeout, null, cancellation);

        /// <summary>
        /// Waits while the domain runs, following its console (lines go to <paramref name="onLine"/>) and
        /// destroying it on one of OSv's failure lines. False when <paramref name="timeout"/> passed first;
        /// when <paramref name="cancellation"/> fires the domain is destroyed, as the caller is going away.
        /// </summary>
        public bool Wait(string name, TimeSpan? timeout, Action<string>? onLine, CancellationToken cancellation)
        {
            var instance = Get(name, cancellation);
            var clock = Stopwatch.StartNew();
            using (var domain = libvirt.FindDomain(DomainName(name)) ?? throw new OsvException("InstanceNotFound", OsvErrorKind.ObjectNotFound, $"there is no instance '{name}' on {Connection}.", name))
            using (var watch = new GuestWatch(new ConsoleFollower(instance.ConsolePath)))
            {
                var xml = XElement.Parse(domain.Xml());
                var meta = ReadMeta(xml)!;
                void Emit(List<string> lines)
                {
                    foreach (string line in lines)
                    {
                        onLine?.Invoke(line);
                    }
                }
                try
                {
                    while (domain.IsActive())
                    {
                        SyncConsole(meta, xml, instance.ConsolePath);
                        Emit(watch.Poll());
                        if (watch.StopDue)
                        {
                            domain.Destroy();
                            break;
                        }
                        if (timeout.HasValue && clock.Elapsed > timeout.Value)
                        {
                            return false;
                        }
                        cancellation.ThrowIfCancellationRequested();
                        cancellation.WaitHandle.WaitOne(100);
                    }
                    SyncConsole(meta, xml, instance.ConsolePath);
                    Emit(watch.Drain());
                    return true;
                }
                catch (OperationCanceledException)
                {
                    domain.Destroy();
                    throw;
                }
            }
        }

        public void Dispose() => libvirt.Dispose();
    }
}
