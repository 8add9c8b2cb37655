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
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Libvirt;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances.Libvirt
{
    /// <summary>
    /// Instances as domains of a libvirt connection (<c>qemu:///system</c>, <c>qemu+ssh://host/system</c>),
    /// through libvirt's C API. An image (and its kernel) becomes a volume of a storage pool named by its
    /// content, uploaded through a libvirt stream once; each instance gets a qcow2 overlay made here (with
    /// the run's command line when it boots from disk) and uploaded beside it, and a domain named
    /// <c>osvps-&lt;name&gt;</c> whose metadata marks it as OsvPS's. The serial console is a file in the pool,
    /// read back through the same streams into a local copy, so following it works on a remote host too.
    /// </summary>
    internal sealed class LibvirtEngine : IInstanceEngine
    {
        public const string DomainPrefix = "osvps-";
        internal const string ConsoleSuffix = ".console";
        internal const string OverlaySuffix = ".qcow2";
        // libvirt 9.2.0: the first with <portForward> for user networking (its passt backend).
        private const ulong PasstVersion = 9002000;

        private readonly CapstanRepository repository;
        private readonly LibvirtConnection libvirt;
        private readonly LibvirtStorage storage;

        public LibvirtEngine(string connection, CapstanRepository repository)
        {
            this.repository = repository;
            libvirt = LibvirtConnection.Open(connection);
            storage = new LibvirtStorage(libvirt);
            Connection = connection;
        }

        public string Name => "Libvirt";

        public string Connection { get; }

        public string Host => Connection;

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

        // A stop asked for here leaves a mark beside the console copy, so its end is not taken for the program's.
        private string StopMarkPath(string name) => MirrorPath(name) + ".stopped";

        // Why the guest's kernel was taken as stopped (KernelStop), when OsvPS ended the domain for it.
        private string KernelStoppedPath(string name) => MirrorPath(name) + ".kernel-stopped";

        /// <summary>
        /// Ends a running domain whose OSv kernel stopped without powering off (<see cref="KernelStop"/>, from the CPUs'
        /// state through QEMU's monitor): the reason is kept beside the console copy, then the domain destroyed.
        /// </summary>
        private bool EndIfKernelStopped(LibvirtDomain domain, string name)
        {
            string mirror = MirrorPath(name);
            if (!KernelStop.Booted(mirror) || !KernelStop.Due(Connection + "\n" + name))
            {
                return false;
            }
            string? why = KernelStop.Check(() =>
            {
                try
                {
                    // Only while it runs: a guest powering off turns its interrupts off on the way.
                    return domain.State() == LibvirtNative.DomainRunning ? domain.HumanMonitor("info registers -a") : null;
                }
                catch (OsvException)
                {
                    return null;
                }
            }, CancellationToken.None);
            if (why == null)
            {
                return false;
            }
            AtomicFile.WriteAllText(KernelStoppedPath(name), why + "\n");
            domain.Destroy();
            return true;
        }

        // OSv's kernel log, saved from the guest's memory once its programs returned, beside the console copy.
        private string KernelLogPath(string name) => MirrorPath(name) + ".kernel.log";

        /// <summary>
        /// Ends a running domain whose programs have all returned: OSv, kept up by --noshutdown, logged "main() returned."
        /// to its kernel log, which the guest's programs cannot write. The log is read from guest memory
        /// (virDomainMemoryPeek at the kernel ELF's addresses) and saved beside the console copy, then the domain is
        /// destroyed. True when it ended so; false while the programs run, or when the log cannot be read now.
        /// </summary>
        private bool SettleIfReturned(LibvirtDomain domain, XElement meta, string name)
        {
            var symbols = KernelLogSymbols.Parse(meta.Attribute("kernelLog")?.Value);
            if (symbols == null)
            {
                return false;
            }
            string? text;
            try
            {
                text = symbols.ReadText((address, size) => domain.PeekPhysical(address, checked((int)size)));
            }
            catch (OsvException)
            {
                return false; // it powered off meanwhile, or libvirt refused the read: its state says the rest
            }
            if (text == null || !KernelLogReport.SaysMainReturned(text))
            {
                return false;
            }
            string log = KernelLogPath(name);
            Directory.CreateDirectory(Path.GetDirectoryName(log)!);
            AtomicFile.WriteAllText(log, text);
            domain.Destroy();
            return true;
        }

        /// <summary>
        /// On a libvirt network an instance has one NIC, on the network's bridge: forwards would need a second one of libvirt's
        /// user networking with its passt backend (libvirt 9.2), so -Forward with a network name is refused.
        /// </summary>
        internal static void RefuseForwardsOnNetwork(MachineOptions machine, string name)
        {
            if (machine.Network == NetworkMode.Named && machine.Forwards.Count > 0)
            {
                throw new OsvException(ErrorIds.LibvirtNotSupported, OsvErrorKind.NotImplemented,
                    $"-Forward with -Network {machine.NetworkName} is not available on a libvirt connection: forwards there come with libvirt's passt backend of user networking (libvirt 9.2 or later, and the passt program on the host), which an instance on a libvirt network does not have. Reach the instance at its address on the network from the host instead.", name);
            }
        }

        private LibvirtNetworks Networks => new LibvirtNetworks(libvirt);

        /// <summary>The MAC address of an instance's NIC on a libvirt network: 52:54:00 and 3 bytes of a hash of the connection and the name.</summary>
        private string MacOf(string name) => NetworkNames.Mac(Connection, name);

        /// <summary>Checks a start on this connection before anything is uploaded.</summary>
        public StartPlan Plan(StartRequest request, CancellationToken cancellation)
        {
            var options = LibvirtEngineOptions.From(request.EngineOptions, Connection);
            LibvirtEngineOptions.ValidatePool(options.StoragePool);
            string name = request.Name ?? InstanceNames.Default(request.ImageName);
            if (request.Machine.Volumes.Count > 0)
            {
                throw new OsvException(ErrorIds.LibvirtNotSupported, OsvErrorKind.NotImplemented,
                    "-Volume is not available on a libvirt connection: the files are on this machine, not the libvirt host. Attach pool volumes with virsh attach-disk.", name);
            }
            RefuseForwardsOnNetwork(request.Machine, name);
            // libvirt hands a kernel's command line to QEMU as -append.
            var plan = InstancePlanner.PlanKeepingEnvPrivate(request, rawOrQcow2Only: true, Connection, _ => true);
            // The run's end is read from OSv's kernel log in the running guest (the kernel ELF that belongs to the image
            // says where): the guest stays up once its programs return, since libvirt discards a powered-off guest at once.
            string? elf = plan.Kernel ?? InstancePlanner.FindKernel(request.ImagePath);
            plan.KernelLog = elf != null ? KernelLogSymbols.Read(elf) : null;
            plan.StaysUp = true;
            if (request.Machine.Forwards.Count > 0 && libvirt.DaemonVersion() is ulong version && version < PasstVersion)
            {
                throw new OsvException(ErrorIds.LibvirtNotSupported, OsvErrorKind.NotImplemented,
                    $"-Forward on a libvirt connection needs libvirt 9.2 or later on the host (port forwards of user networking come with its passt backend); {Connection} runs libvirt {version / 1000000}.{version / 1000 % 1000}.{version % 1000}. Put the instance on a bridge (-Network Bridge) or a libvirt network and reach its address instead.", plan.Name);
            }
            if (request.Machine.Network == NetworkMode.Named)
            {
                // The network must exist now; the address is taken at the start, the network's last one standing in for it here.
                var network = Networks.Load(request.Machine.NetworkName ?? "", plan.Name);
                var subnet = network.Subnet ?? throw new OsvException(ErrorIds.LibvirtNotSupported, OsvErrorKind.InvalidOperation,
                    $"libvirt network '{network.Name}' has no IPv4 address of the host (<ip address=...>), so OsvPS cannot give the instance an address on it; use a network with one (New-OsvNetwork -Connection).", plan.Name);
                plan.NetworkOptions = new NetworkLease(network.Name, subnet, subnet.Broadcast - 1, network.Bridge ?? "", network.Gateway).LoaderOptions(false);
            }
            plan.Host = Connection;
            plan.Accelerator = request.Accelerator == Accelerator.Kvm ? Accelerator.Kvm : Accelerator.Tcg;
            return new LibvirtStartPlan(plan, options.StoragePool);
        }

        /// <summary>
        /// Defines and starts a domain for <paramref name="plan"/>. The image and kernel go into the plan's
        /// storage pool once per content; a stopped OsvPS domain of the same name is replaced.
        /// </summary>
        public IRunningInstance Start(StartPlan shared, CancellationToken cancellation)
        {
            var plan = shared as LibvirtStartPlan ?? throw new ArgumentException($"instance '{shared.Name}' was not planned by the libvirt engine.", nameof(shared));
            string domainName = DomainName(plan.Name);
            string pool = plan.StoragePool;
            using (var existing = libvirt.FindDomain(domainName))
            {
                if (existing != null)
                {
                    if (LibvirtDomainXml.ReadMeta(XElement.Parse(existing.Xml())) == null)
                    {
                        throw new OsvException(ErrorIds.DomainExists, OsvErrorKind.ResourceExists,
                            $"{Connection} has a domain '{domainName}' that OsvPS did not make; start the instance with another -Name.", plan.Name);
                    }
                    if (existing.IsActive())
                    {
                        throw new OsvException(ErrorIds.InstanceExists, OsvErrorKind.ResourceExists,
                            $"instance '{plan.Name}' is running on {Connection}; stop it with 'Stop-OsvInstance {plan.Name} -Connection {Connection}' or start another with -Name.", plan.Name);
                    }
                    RemoveDomain(existing, cancellation);
                }
            }

            NetworkLease? lease = null;
            if (plan.Request.Machine.Network == NetworkMode.Named)
            {
                plan.NetworkMac = MacOf(plan.Name);
                lease = Networks.Join(plan.Request.Machine.NetworkName!, plan.Name, plan.NetworkMac);
                plan.NetworkOptions = lease.LoaderOptions(false);
                plan.NetworkAddress = lease.AddressText;
            }
            try
            {
                StartDomain(plan, domainName, pool, cancellation);
            }
            catch
            {
                if (lease != null)
                {
                    LeaveQuietly(lease.Network, plan.Name, lease.Address);
                }
                throw;
            }
            return Attach(plan.Name, cancellation);
        }

        // Gives back an instance's address on its libvirt network; a failure there is not the one to report.
        private void LeaveQuietly(string network, string name, uint? address)
        {
            try
            {
                Networks.Leave(network, name, address);
            }
            catch (OsvException)
            {
            }
        }

        // The address an instance holds on a libvirt network (its domain's metadata says), given back once its domain stopped.
        private void ReleaseAddress(XElement meta, string name)
        {
            if (meta.Attribute("network")?.Value is string network && Subnet.ParseAddress(meta.Attribute("ip")?.Value ?? "") is uint address)
            {
                LeaveQuietly(network, name, address);
            }
        }

        private void StartDomain(LibvirtStartPlan plan, string domainName, string pool, CancellationToken cancellation)
        {
            using (var storagePool = storage.EnsurePool(pool))
            {
                string imageVolume = storage.UploadOnce(storagePool, plan.Request.ImagePath, plan.ImageFormat == Disk.DiskFormat.Qcow2 ? ".qcow2" : ".img", cancellation);
                string? kernelVolume = plan.Kernel == null ? null : storage.UploadOnce(storagePool, plan.Kernel, ".elf", cancellation);
                string overlayVolume = domainName + OverlaySuffix;
                string overlayPath = storage.UploadOverlay(storagePool, overlayVolume, plan, imageVolume, cancellation);
                string consolePath = Path.Combine(Path.GetDirectoryName(overlayPath)!, domainName + ConsoleSuffix);
                string? kernelPath = null;
                if (kernelVolume != null)
                {
                    using (var volume = storagePool.FindVolume(kernelVolume)!)
                    {
                        kernelPath = volume.Path();
                    }
                }
                using (var stale = storagePool.FindVolume(domainName + ConsoleSuffix))
                {
                    stale?.Delete();
                }
                AtomicFile.TryDelete(MirrorPath(plan.Name));
                AtomicFile.TryDelete(StopMarkPath(plan.Name));
                AtomicFile.TryDelete(KernelLogPath(plan.Name));
                AtomicFile.TryDelete(KernelStoppedPath(plan.Name));

                string xml = LibvirtDomainXml.Build(plan, domainName, overlayVolume, kernelPath, consolePath).ToString(SaveOptions.DisableFormatting);
                using (var domain = libvirt.DefineDomain(xml, domainName))
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
                storagePool.Refresh(); // the console file libvirt just made becomes a volume the cmdlets can read
            }
        }

        public IRunningInstance Attach(string name, CancellationToken cancellation)
        {
            var instance = Get(name, cancellation);
            return new RunningDomain(this, name, instance.ConsolePath, InstanceConsole.HidesDebugLines(instance), InstanceConsole.RunscriptFiles(instance));
        }

        /// <summary>OsvPS's domains on this connection, as instances, sorted by name.</summary>
        public IEnumerable<OsvInstance> List(CancellationToken cancellation, Action<OsvException>? invalid = null)
        {
            var result = new List<OsvInstance>();
            foreach (string domain in libvirt.DomainNames().Where(n => n.StartsWith(DomainPrefix, StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
            {
                cancellation.ThrowIfCancellationRequested();
                string name = domain.Substring(DomainPrefix.Length);
                try
                {
                    if (InstanceNames.IsValid(name) && TryGet(name) is OsvInstance instance)
                    {
                        result.Add(instance);
                    }
                }
                catch (OsvException e) when (e.ErrorId == ErrorIds.InstanceStateInvalid && invalid != null)
                {
                    invalid(e);
                }
            }
            return result;
        }

        public OsvInstance Get(string name, CancellationToken cancellation)
        {
            InstanceNames.Validate(name);
            return TryGet(name) ?? throw new OsvException(ErrorIds.InstanceNotFound, OsvErrorKind.ObjectNotFound, $"there is no instance '{name}' on {Connection}.", name);
        }

        // A domain whose OsvPS metadata or devices cannot be read is that instance's error (InstanceStateInvalid), as a damaged state file is on this machine.
        private OsvInstance? TryGet(string name)
        {
            try
            {
                return Read(name);
            }
            catch (Exception e) when (e is FormatException || e is OverflowException || e is System.Xml.XmlException)
            {
                throw new OsvException(ErrorIds.InstanceStateInvalid, OsvErrorKind.InvalidData,
                    $"the domain of instance '{name}' ({DomainName(name)} on {Connection}) cannot be read: {e.Message} Remove the instance with 'Remove-OsvInstance {name} -Connection {Connection} -Force'.", name, e);
            }
        }

        private OsvInstance? Read(string name)
        {
            using (var domain = libvirt.FindDomain(DomainName(name)))
            {
                if (domain == null)
                {
                    return null;
                }
                var xml = XElement.Parse(domain.Xml());
                var meta = LibvirtDomainXml.ReadMeta(xml);
                if (meta == null)
                {
                    return null; // not one of OsvPS's
                }
                var (state, reason) = domain.StateAndReason();
                bool active = LibvirtDomain.IsActiveState(state);
                string mirror = MirrorPath(name);
                storage.SyncConsole(meta, xml, mirror);
                if (active && (SettleIfReturned(domain, meta, name) || EndIfKernelStopped(domain, name)))
                {
                    (state, reason) = domain.StateAndReason();
                    active = LibvirtDomain.IsActiveState(state);
                    storage.SyncConsole(meta, xml, mirror);
                }
                string commandLine = meta.Attribute("commandLine")?.Value ?? "";
                string guestLine = meta.Attribute("guestCommandLine")?.Value ?? commandLine;
                var outcome = active ? InstanceOutcome.Running : Outcome(name, meta, state, reason, mirror, guestLine);
                if (!active)
                {
                    ReleaseAddress(meta, name); // however it ended: by itself, stopped here, or destroyed elsewhere
                }
                DateTime? started = DateTime.TryParse(meta.Attribute("started")?.Value, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when) ? when : (DateTime?)null;
                DateTime? stopped = active || !File.Exists(mirror) ? (DateTime?)null : File.GetLastWriteTimeUtc(mirror);
                string? disk = xml.Element("devices")?.Element("disk")?.Element("source")?.Attribute("volume")?.Value;
                var facts = new InstanceFacts
                {
                    Name = name,
                    Path = DomainName(name),
                    Image = meta.Attribute("image")?.Value ?? "",
                    ImagePath = disk ?? "",
                    Started = started,
                    Stopped = stopped,
                    Forwards = LibvirtDomainXml.Forwards(xml),
                    Network = xml.Descendants("interface").Select(i => i.Attribute("type")?.Value).FirstOrDefault() switch
                    {
                        null => "None",
                        "bridge" => "Bridge",
                        "ethernet" => "Tap",
                        "network" => meta.Attribute("network")?.Value ?? xml.Descendants("interface").Elements("source").Attributes("network").Select(a => a.Value).FirstOrDefault() ?? "User",
                        _ => "User",
                    },
                    IPAddresses = meta.Attribute("ip")?.Value is string ip ? new[] { ip } : GuestAddresses.FromConsole(mirror),
                    ConsolePath = mirror,
                    Accelerator = xml.Attribute("type")?.Value == "kvm" ? "Kvm" : "Tcg",
                    BootMode = meta.Attribute("bootMode")?.Value ?? "",
                    CommandLine = commandLine,
                    GuestCommandLine = guestLine,
                };
                return this.Describe(facts, outcome);
            }
        }

        // How an ended domain ended. With OSv's kernel log (a domain started with its symbols): what the log saved when the
        // programs returned says; with none saved, the guest powered off by itself (exit(), or OSv failing with
        // --power-off-on-abort), and its memory went with the domain. Without symbols: the console, as OSv printed it
        // under --verbose.
        private InstanceOutcome Outcome(string name, XElement meta, int state, int reason, string mirror, string guestLine)
        {
            bool stopRequested = File.Exists(StopMarkPath(name));
            var console = GuestConsoleReport.Scan(mirror);
            if (!stopRequested && File.Exists(KernelStoppedPath(name)))
            {
                return InstanceOutcome.KernelStopped(File.ReadAllText(KernelStoppedPath(name)).Trim(), console);
            }
            if (meta.Attribute("kernelLog") == null)
            {
                return InstanceOutcome.Ended(null, state == LibvirtNative.DomainCrashed ? $"libvirt reports domain '{DomainName(name)}' crashed" : null,
                    stopRequested, console, GuestCommandLines.ReportsExitStatus(guestLine));
            }
            if (KernelLogReport.ReadFrom(KernelLogPath(name)) is KernelLogReport log)
            {
                return InstanceOutcome.FromKernelLog(log, stopRequested, console);
            }
            string? hypervisorEnd = state == LibvirtNative.DomainCrashed || reason == LibvirtNative.ShutoffCrashed ? $"libvirt reports domain '{DomainName(name)}' crashed"
                : reason == LibvirtNative.ShutoffDestroyed ? $"domain '{DomainName(name)}' was destroyed outside OsvPS (virsh destroy?)"
                : null;
            return InstanceOutcome.PoweredOffUnread(hypervisorEnd, stopRequested, console);
        }

        /// <summary>An ACPI shutdown, then destroy after <paramref name="timeout"/>; <paramref name="force"/> destroys at once.</summary>
        public OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation)
        {
            var instance = Get(name, cancellation);
            if (instance.State != InstanceState.Running)
            {
                return instance;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(StopMarkPath(name))!);
            File.WriteAllText(StopMarkPath(name), "");
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
            OsvInstance? instance;
            try
            {
                instance = Get(name, cancellation);
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.InstanceStateInvalid && force)
            {
                instance = null; // a domain that cannot be read goes with -Force, as its error says
            }
            if (instance?.State == InstanceState.Running && !force)
            {
                throw new OsvException(ErrorIds.InstanceRunning, OsvErrorKind.InvalidOperation,
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
            AtomicFile.TryDelete(StopMarkPath(name));
            AtomicFile.TryDelete(KernelLogPath(name));
            AtomicFile.TryDelete(KernelStoppedPath(name));
        }

        private void RemoveDomain(LibvirtDomain domain, CancellationToken cancellation)
        {
            var xml = XElement.Parse(domain.Xml());
            domain.Destroy();
            domain.Undefine();
            if (LibvirtDomainXml.ReadMeta(xml) is XElement meta && meta.Attribute("name")?.Value is string instance)
            {
                ReleaseAddress(meta, instance);
            }
            string? pool = LibvirtDomainXml.ReadMeta(xml)?.Attribute("pool")?.Value ?? xml.Element("devices")?.Element("disk")?.Element("source")?.Attribute("pool")?.Value;
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

        public void Dispose() => libvirt.Dispose();

        /// <summary>A domain being followed: its console is downloaded into the local copy as it grows.</summary>
        private sealed class RunningDomain : IRunningInstance
        {
            private readonly LibvirtEngine engine;
            private readonly LibvirtDomain domain;
            private readonly XElement xml;
            private readonly XElement meta;

            public RunningDomain(LibvirtEngine engine, string name, string consolePath, bool hidesDebugLines, IReadOnlyList<string> runscriptFiles)
            {
                this.engine = engine;
                Name = name;
                ConsolePath = consolePath;
                HidesDebugLines = hidesDebugLines;
                RunscriptFiles = runscriptFiles;
                domain = engine.libvirt.FindDomain(DomainName(name)) ?? throw new OsvException(ErrorIds.InstanceNotFound, OsvErrorKind.ObjectNotFound,
                    $"there is no instance '{name}' on {engine.Connection}.", name);
                xml = XElement.Parse(domain.Xml());
                meta = LibvirtDomainXml.ReadMeta(xml)!;
            }

            public string Name { get; }
            public string ConsolePath { get; }
            public bool HidesDebugLines { get; }
            public IReadOnlyList<string> RunscriptFiles { get; }
            // Never: a line on the console may be the program's own (a server logging a request that holds
            // "Aborted"), and OSv, run with --power-off-on-abort, powers the guest off itself when it fails.
            public bool StopsOnFailureLines => false;

            public IReadOnlyList<string> KernelLogLines()
            {
                string log = engine.KernelLogPath(Name);
                return File.Exists(log) ? File.ReadAllText(log).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList() : new List<string>();
            }

            public bool WaitForEnd(TimeSpan wait)
            {
                engine.storage.SyncConsole(meta, xml, ConsolePath);
                if (!domain.IsActive() || engine.SettleIfReturned(domain, meta, Name) || engine.EndIfKernelStopped(domain, Name))
                {
                    engine.storage.SyncConsole(meta, xml, ConsolePath);
                    return true;
                }
                // Each look downloads the console: a slower pace than a local file's.
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(100, wait.TotalMilliseconds)));
                return false;
            }

            public OsvInstance Finish() => engine.Get(Name, CancellationToken.None);

            public void Dispose() => domain.Dispose();
        }
    }
}
