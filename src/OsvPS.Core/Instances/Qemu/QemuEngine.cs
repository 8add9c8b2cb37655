using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>Instances as QEMU processes OsvPS runs on this machine, in <c>&lt;root&gt;/instances/qemu/</c>.</summary>
    internal sealed class QemuEngine : IInstanceEngine, IInstanceHandOver
    {
        private readonly CapstanRepository repository;
        private readonly QemuInstanceStore store;

        public QemuEngine(CapstanRepository repository)
        {
            this.repository = repository;
            store = new QemuInstanceStore(repository, this);
        }

        public string Name => "Qemu";

        public string? Connection => null;

        public string Host => "this machine";

        // The run's status comes from OSv's kernel log when the kernel that belongs to the image exports it.
        private static StartPlan WithKernelLog(StartPlan plan)
        {
            if (plan.RewriteDisk || plan.Kernel != null)
            {
                string? elf = plan.Kernel ?? InstancePlanner.FindKernel(plan.Request.ImagePath);
                plan.KernelLog = elf != null ? KernelLogSymbols.Read(elf) : null;
            }
            return plan;
        }

        // On an OsvPS network the guest's command line carries its address: the network is checked now, and the longest
        // address it could get stands in for the one the start gives it (so the line is measured at its longest).
        private StartPlan WithNetwork(StartPlan plan)
        {
            var machine = plan.Request.Machine;
            if (machine.Network == NetworkMode.Named)
            {
                var state = Networks.Load(machine.NetworkName ?? "");
                if (!plan.RewriteDisk && plan.Kernel == null)
                {
                    throw new OsvException(ErrorIds.InstanceSettingInvalid, OsvErrorKind.InvalidArgument,
                        $"instance '{plan.Name}': on network '{state.Name}' the guest's address goes on its command line, which a {plan.ImageFormat} image booted from disk cannot be given; use a raw or qcow2 image, or boot its kernel.", plan.Name);
                }
                HostNetwork.RequireAdmin($"an instance on network '{state.Name}'", plan.Name);
                plan.NetworkOptions = new NetworkLease(state.Name, state.Subnet, state.Subnet.Broadcast, state.Bridge).LoaderOptions(machine.Forwards.Count > 0);
            }
            return plan;
        }

        private LocalNetworks Networks => new LocalNetworks(repository.Root);

        public StartPlan Plan(StartRequest request, CancellationToken cancellation)
        {
            var options = QemuEngineOptions.From(request.EngineOptions);
            // A kernel's command line goes to QEMU in a config file, unless its grammar cannot hold it (a double quote, over
            // 1023 bytes): then it would be -append, and -Env values never go there.
            var plan = InstancePlanner.PlanKeepingEnvPrivate(request, rawOrQcow2Only: false, Host,
                kernelBoot => QemuArguments.KernelConfig(kernelBoot.Kernel!, WithNetwork(WithKernelLog(kernelBoot)).GuestCommandLine) == null);
            WithNetwork(WithKernelLog(plan));
            foreach (var forward in request.Machine.Forwards)
            {
                if (forward.IsIPv6)
                {
                    // QEMU 7.2's user networking refuses it ("Bad host address"): say so before anything starts.
                    throw new OsvException(ErrorIds.ForwardInvalid, OsvErrorKind.InvalidArgument,
                        $"'{forward}': QEMU's user networking forwards from IPv4 host addresses only; use 127.0.0.1 (the default) or another IPv4 address.", forward.ToString());
                }
                CheckPortFree(forward, plan.Name);
            }
            foreach (var volume in request.Machine.Volumes)
            {
                if (!File.Exists(volume.Path))
                {
                    throw new OsvException(ErrorIds.VolumeNotFound, OsvErrorKind.ObjectNotFound, $"volume '{volume.Path}' does not exist.", volume.Path);
                }
            }
            ThrowIfRunning(plan.Name);
            string qemu = QemuInstallation.FindEmulator(options.QemuPath);
            return new QemuStartPlan(plan, qemu, AcceleratorProbe.Choose(request.Accelerator, qemu, repository, cancellation));
        }

        private void ThrowIfRunning(string name)
        {
            string folder = store.Folder(name);
            var record = InstanceRecord.Load(folder);
            if (store.RunningPid(folder, record) is int paused && KernelLogHarvest.Settle(folder, record, paused, force: true))
            {
                // A guest that had powered off, its QEMU kept for its log: read now, QEMU ends.
                WaitFor(() => store.RunningPid(folder, record) == null, TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            if (store.RunningPid(folder, record) is int pid)
            {
                throw new OsvException(ErrorIds.InstanceExists, OsvErrorKind.ResourceExists,
                    $"instance '{name}' is running (pid {pid}); stop it with 'Stop-OsvInstance {name}' or start another with -Name.", name);
            }
        }

        /// <summary>Creates the instance folder and overlay, starts QEMU and waits until its monitor answers.</summary>
        public IRunningInstance Start(StartPlan plan, CancellationToken cancellation)
        {
            var ours = plan as QemuStartPlan ?? throw new ArgumentException($"instance '{plan.Name}' was not planned by the QEMU engine.", nameof(plan));
            // Two starts of one name at once would leave a QEMU no record tracks: one at a time, and
            // the running check is made again once the name is held. The image cannot be removed until
            // the instance is recorded as its user.
            using (HoldName(plan.Name))
            using (ImageUse.ForStart(plan.Request.ImagePath, plan.Request.ImageName))
            {
                ThrowIfRunning(plan.Name);
                return StartHeld(ours, cancellation);
            }
        }

        private IDisposable HoldName(string name)
        {
            Directory.CreateDirectory(repository.InstancesPath);
            string path = Path.Combine(repository.InstancesPath, "." + name + ".start-lock");
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException e)
            {
                throw new OsvException(ErrorIds.InstanceExists, OsvErrorKind.ResourceExists,
                    $"instance '{name}' is being started by another process; start another with -Name.", name, e);
            }
        }

        private IRunningInstance StartHeld(QemuStartPlan plan, CancellationToken cancellation)
        {
            string folder = store.PrepareFolder(plan.Name);
            // A new start under an old name keeps the last run's console beside the new one.
            string console = Path.Combine(folder, QemuLauncher.ConsoleFile);
            if (File.Exists(console))
            {
                File.Copy(console, Path.Combine(folder, QemuLauncher.PreviousConsoleFile), overwrite: true);
            }
            foreach (string stale in QemuLauncher.RunFiles.Append(InstanceRecord.FileName))
            {
                AtomicFile.TryDelete(Path.Combine(folder, stale));
            }
            var machine = plan.Request.Machine;
            NetworkLease? lease = machine.Network == NetworkMode.Named
                ? Networks.Join(machine.NetworkName!, plan.Name, other => other != plan.Name && IsRunning(other), cancellation)
                : null;
            try
            {
                return StartOnNetwork(plan, folder, lease, cancellation);
            }
            catch
            {
                if (lease != null)
                {
                    Networks.Leave(lease.Network, plan.Name);
                }
                throw;
            }
        }

        private bool IsRunning(string name)
        {
            try
            {
                return store.Exists(name) && store.Get(name).State == InstanceState.Running;
            }
            catch (OsvException)
            {
                return false;
            }
        }

        /// <summary>Gives back the address an instance held on an OsvPS network (once it has ended, or is removed).</summary>
        private void ReleaseAddress(string name, string folder)
        {
            var record = InstanceRecord.Load(folder);
            if (record["ip"] != null && record["network"] is string network)
            {
                Networks.Leave(network, name);
            }
        }

        private IRunningInstance StartOnNetwork(QemuStartPlan plan, string folder, NetworkLease? lease, CancellationToken cancellation)
        {
            bool forwards = plan.Request.Machine.Forwards.Count > 0;
            if (lease != null)
            {
                plan.NetworkOptions = lease.LoaderOptions(forwards);
            }
            string overlay = Path.Combine(folder, QemuLauncher.OverlayFile);
            string guestLine = plan.GuestCommandLine;
            if (plan.ImageFormat == DiskFormat.Raw || plan.ImageFormat == DiskFormat.Qcow2)
            {
                Overlay.Create(overlay, plan.Request.ImagePath, plan.ImageFormat, plan.RewriteDisk ? guestLine : null);
            }
            else
            {
                QemuLauncher.CreateOverlayWithQemuImg(overlay, plan.Request.ImagePath, plan.ImageFormat, cancellation);
            }

            string monitor = QemuLauncher.MonitorPath(folder);
            var settings = new InstanceSettings
            {
                Name = plan.Name,
                DiskPath = overlay,
                Machine = plan.Request.Machine,
                Accelerator = plan.Accelerator,
                Cache = HostProcess.SupportsDirectIo(folder) ? "none" : "unsafe",
                AioType = RepositoryConfig.Load(repository).QemuAioType,
                ConsolePath = Path.Combine(folder, QemuLauncher.ConsoleFile),
                MonitorPath = monitor,
                PidPath = Path.Combine(folder, QemuLauncher.PidFile),
                KernelPath = plan.Kernel,
                KernelCommandLine = plan.Kernel != null ? guestLine : null,
                NoShutdown = plan.KernelLog != null,
                NetworkTap = lease != null ? Networks.TapOf(plan.Name) : null,
                NetworkMac = lease != null ? Networks.MacOf(plan.Name) : null,
                ForwardNetwork = lease != null && forwards ? lease.ForwardSubnet.ToString() : null,
                ForwardGuest = lease != null && forwards ? Subnet.Format(lease.ForwardGuest) : null,
                Paused = lease != null,
            };
            string? kernelConfig = plan.Kernel != null ? QemuArguments.KernelConfig(plan.Kernel, guestLine) : null;
            if (kernelConfig != null)
            {
                settings.KernelConfigPath = Path.Combine(folder, QemuLauncher.KernelConfigFile);
                AtomicFile.Write(settings.KernelConfigPath, stream =>
                {
                    HostProcess.MakeFilePrivate(stream.Name);
                    var bytes = Encoding.UTF8.GetBytes(kernelConfig);
                    stream.Write(bytes, 0, bytes.Length);
                });
            }
            var arguments = QemuArguments.Build(settings);
            string qemu = plan.Qemu;

            var record = new InstanceRecord
            {
                ["name"] = plan.Name,
                ["image"] = plan.Request.ImageName,
                ["image_path"] = plan.Request.ImagePath,
                ["qemu"] = qemu,
                ["accelerator"] = plan.Accelerator.ToString(),
                ["boot_mode"] = plan.BootModeName,
                ["command_line"] = plan.CommandLine,
                // An image whose own line cannot be replaced runs it as it is.
                ["guest_command_line"] = plan.RewriteDisk || plan.Kernel != null ? guestLine : plan.CommandLine,
                ["forwards"] = string.Join(",", plan.Request.Machine.Forwards.Select(f => f.ToString())),
                ["monitor"] = monitor,
                ["folder"] = folder,
                ["kernel_log"] = plan.KernelLog?.ToString(),
                ["network"] = plan.Request.Machine.NetworkText,
                ["ip"] = lease?.AddressText,
                ["tap"] = settings.NetworkTap,
            };
            record.SetTime("started", DateTime.UtcNow);
            // NUL cannot occur in an argument, so it separates them safely.
            record["qemu_command"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join("\0", new[] { qemu }.Concat(arguments))));
            var process = QemuLauncher.Launch(qemu, arguments, folder, plan.Request.Attached);
            record["pid"] = process.Id.ToString(CultureInfo.InvariantCulture);
            record.Save(folder);
            try
            {
                using (var qmp = QmpClient.Connect(monitor, TimeSpan.FromSeconds(10), cancellation, () => !process.HasExited))
                {
                    if (lease != null)
                    {
                        // QEMU made the tap and waits (-S): on the bridge first, then the guest runs.
                        HostNetwork.AttachTap(settings.NetworkTap!, lease.Bridge, cancellation);
                        qmp.Execute("cont");
                    }
                }
            }
            catch (OsvException e) when (e.ErrorId != ErrorIds.NetworkFailed && RanAndEnded(process, folder, plan.Request.Attached))
            {
                // A quick guest can power off before the monitor's greeting is read: it did start.
            }
            catch (Exception e) when (e is OsvException || e is OperationCanceledException)
            {
                if (!process.HasExited)
                {
                    HostProcess.KillHard(process.Id);
                }
                process.WaitForExit(5000);
                string log = QemuLauncher.ReadLog(folder);
                record["start_failure"] = $"QEMU did not start instance '{plan.Name}'" + (log.Length > 0 ? ": " + log : ".");
                record["exit_code"] = (process.HasExited ? process.ExitCode : -1).ToString(CultureInfo.InvariantCulture);
                record.SetTime("stopped", DateTime.UtcNow);
                record.Save(folder);
                process.Dispose();
                if (e is OperationCanceledException || (e is OsvException network && network.ErrorId == ErrorIds.NetworkFailed))
                {
                    throw;
                }
                throw new OsvException(ErrorIds.QemuFailed, OsvErrorKind.InvalidResult, record["start_failure"]!, plan.Name, e);
            }
            if (!plan.Request.Attached && QemuLauncher.ReadPid(folder) is int qemuPid && qemuPid != process.Id)
            {
                // The launched process is the shell that waits on QEMU: signals go to QEMU itself.
                record["wrapper_pid"] = record["pid"];
                record["pid"] = qemuPid.ToString(CultureInfo.InvariantCulture);
                record.Save(folder);
            }
            return new RunningQemu(this, plan.Name, folder, process, arguments, GuestCommandLines.HidesDebugLines(record["guest_command_line"]!, plan.CommandLine), plan.KernelLog == null);
        }

        // True when QEMU has already ended cleanly: status 0, seen here for an attached run, written by
        // the waiting shell for a background one.
        private static bool RanAndEnded(Process process, string folder, bool attached)
        {
            if (!process.WaitForExit(2000))
            {
                return false;
            }
            return attached
                ? process.ExitCode == 0
                : WaitFor(() => QemuLauncher.ReadExit(folder) != null, TimeSpan.FromSeconds(1), CancellationToken.None) && QemuLauncher.ReadExit(folder)?.Status == 0;
        }

        public IRunningInstance Attach(string name, CancellationToken cancellation)
        {
            var instance = Get(name, cancellation);
            return new RunningQemu(this, name, instance.Path, null, instance.QemuCommand, InstanceConsole.HidesDebugLines(instance),
                InstanceRecord.Load(instance.Path)["kernel_log"] == null);
        }

        public IEnumerable<OsvInstance> List(CancellationToken cancellation, Action<OsvException>? invalid = null)
        {
            var result = new List<OsvInstance>();
            foreach (string name in store.Names())
            {
                try
                {
                    result.Add(store.Get(name));
                }
                catch (OsvException e) when (e.ErrorId == ErrorIds.InstanceStateInvalid && invalid != null)
                {
                    invalid(e);
                }
            }
            return result;
        }

        public OsvInstance Get(string name, CancellationToken cancellation) => store.Get(name);

        // A host port another instance forwards, or another program holds, is named before QEMU starts (QEMU's own
        // "Could not set up host forwarding rule" names neither, and would leave a failed instance behind).
        private void CheckPortFree(PortForward forward, string name)
        {
            foreach (var other in List(CancellationToken.None, invalid: _ => { }))
            {
                if (other.State == InstanceState.Running && other.Name != name && other.Forwards.Select(TryParse).Any(f => f != null && f.Protocol == forward.Protocol && f.HostPort == forward.HostPort &&
                    (f.HostAddress == forward.HostAddress || f.HostAddress == "0.0.0.0" || forward.HostAddress == "0.0.0.0")))
                {
                    throw new OsvException(ErrorIds.ForwardInUse, OsvErrorKind.ResourceExists,
                        $"{forward.Protocol} port {forward.HostPort} on {forward.HostAddress} is forwarded by the running instance '{other.Name}'; stop it (Stop-OsvInstance {other.Name}) or forward another port.", forward.ToString());
                }
            }
            if (forward.Protocol == "tcp" && System.Net.IPAddress.TryParse(forward.HostAddress, out var address))
            {
                var probe = new System.Net.Sockets.TcpListener(address, forward.HostPort);
                try
                {
                    probe.Start();
                }
                catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
                {
                    // Only a port that is taken; anything else (an address this machine lacks, a privileged port) QEMU reports itself.
                    throw new OsvException(ErrorIds.ForwardInUse, OsvErrorKind.ResourceExists,
                        $"tcp port {forward.HostPort} on {forward.HostAddress} is in use by another program ({e.Message}); forward another port.", forward.ToString(), e);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // Left to QEMU, whose message names the forward.
                }
                finally
                {
                    probe.Stop();
                }
            }
        }

        private static PortForward? TryParse(string text)
        {
            try
            {
                return PortForward.Parse(text);
            }
            catch (OsvException)
            {
                return null;
            }
        }

        /// <summary>An ACPI power-down through QMP, then after <paramref name="timeout"/> a QMP quit, then a kill; <paramref name="force"/> quits at once.</summary>
        public IReadOnlyList<TimeSpan> HandOver(string from, string to, IReadOnlyList<PortForward> forwards, IReadOnlyList<PortForward> temporary, CancellationToken cancellation)
        {
            var gaps = ForwardMove.Move(store, from, to, forwards, temporary);
            var record = InstanceRecord.Load(store.Folder(from));
            if (record["ip"] != null && record["network"] is string network && InstanceRecord.Load(store.Folder(to))["network"] == network)
            {
                Networks.MoveName(network, from, to);
            }
            return gaps;
        }

        public OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation)
        {
            var stopped = StopQemu(name, timeout, force, cancellation);
            if (stopped.State != InstanceState.Running)
            {
                ReleaseAddress(name, stopped.Path);
            }
            return stopped;
        }

        private OsvInstance StopQemu(string name, TimeSpan timeout, bool force, CancellationToken cancellation)
        {
            var instance = store.Get(name);
            if (instance.State != InstanceState.Running || instance.Pid == null)
            {
                return instance;
            }
            // A guest that has just powered off by itself ended on its own, not on this request.
            if (KernelLogHarvest.Settle(instance.Path, InstanceRecord.Load(instance.Path), instance.Pid.Value, force: true))
            {
                WaitFor(() => store.Get(name).State != InstanceState.Running, TimeSpan.FromSeconds(10), cancellation);
                return store.Get(name);
            }
            store.MarkStopRequested(name);
            int pid = instance.Pid.Value;
            string folder = instance.Path;
            var record = InstanceRecord.Load(folder);
            string monitor = record["monitor"] ?? Path.Combine(folder, QemuLauncher.MonitorFile);
            bool Alive() => HostProcess.IsAlive(pid, folder);
            try
            {
                using (var qmp = QmpClient.Connect(monitor, TimeSpan.FromSeconds(2), cancellation, Alive))
                {
                    if (!force)
                    {
                        qmp.PowerDown();
                        // A guest kept by -no-shutdown pauses once it has powered off: its log is read and QEMU quits.
                        if (WaitFor(() => !Alive() || KernelLogHarvest.Settle(folder, record, pid, qmp), timeout, cancellation) &&
                            WaitFor(() => !Alive(), TimeSpan.FromSeconds(5), cancellation))
                        {
                            return Stopped(name);
                        }
                    }
                    qmp.Quit();
                }
                if (WaitFor(() => !Alive(), TimeSpan.FromSeconds(5), cancellation))
                {
                    return Stopped(name);
                }
            }
            catch (OsvException)
            {
                // No monitor: fall through to signals.
            }
            HostProcess.Terminate(pid);
            if (!WaitFor(() => !Alive(), TimeSpan.FromSeconds(3), cancellation))
            {
                HostProcess.KillHard(pid);
                WaitFor(() => !Alive(), TimeSpan.FromSeconds(5), cancellation);
            }
            return Stopped(name);
        }

        // After QEMU ended on request: its waiting shell gets a moment to write the status, then the end is recorded.
        private OsvInstance Stopped(string name)
        {
            WaitFor(() => store.Get(name).State != InstanceState.Running, TimeSpan.FromSeconds(2), CancellationToken.None);
            store.RecordStopped(name);
            return store.Get(name);
        }

        internal static bool WaitFor(Func<bool> done, TimeSpan timeout, CancellationToken cancellation)
        {
            var watch = Stopwatch.StartNew();
            while (!done())
            {
                if (watch.Elapsed > timeout)
                {
                    return false;
                }
                cancellation.ThrowIfCancellationRequested();
                Thread.Sleep(20);
            }
            return true;
        }

        /// <summary>Deletes an instance's folder; a running one only with <paramref name="force"/> (it is stopped first).</summary>
        public void Remove(string name, bool force, CancellationToken cancellation)
        {
            string folder = store.Folder(name);
            OsvInstance? instance;
            try
            {
                instance = store.Get(name);
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.InstanceStateInvalid && force)
            {
                // Its state cannot be read (its error says to remove it with -Force); a QEMU its pid still names goes first.
                instance = null;
                if (store.RunningPid(folder, InstanceRecord.Load(folder)) is int pid)
                {
                    HostProcess.KillHard(pid);
                    WaitFor(() => !HostProcess.IsAlive(pid, folder), TimeSpan.FromSeconds(5), cancellation);
                }
            }
            if (instance?.State == InstanceState.Running)
            {
                if (!force)
                {
                    throw new OsvException(ErrorIds.InstanceRunning, OsvErrorKind.InvalidOperation, $"instance '{name}' is running; stop it first or use -Force.", name);
                }
                Stop(name, TimeSpan.Zero, true, cancellation);
            }
            string monitor = InstanceRecord.Load(folder)["monitor"] ?? "";
            if (monitor.Length > 0 && !monitor.StartsWith(folder, StringComparison.Ordinal))
            {
                AtomicFile.TryDelete(monitor);
            }
            ReleaseAddress(name, folder);
            Directory.Delete(folder, true);
        }

        public void Dispose()
        {
            // Nothing is held open: every call reads the instance folders anew.
        }

        /// <summary>A QEMU of this machine being followed: the process itself when OsvPS started it attached, else its pid.</summary>
        private sealed class RunningQemu : IRunningInstance
        {
            private readonly QemuEngine engine;
            private readonly Process? process;

            public RunningQemu(QemuEngine engine, string name, string folder, Process? process, IReadOnlyList<string> arguments, bool hidesDebugLines, bool stopsOnFailureLines)
            {
                this.engine = engine;
                this.process = process;
                Name = name;
                Folder = folder;
                Arguments = arguments;
                HidesDebugLines = hidesDebugLines;
                StopsOnFailureLines = stopsOnFailureLines;
            }

            public string Name { get; }
            public string Folder { get; }
            public IReadOnlyList<string> Arguments { get; }
            public string ConsolePath => Path.Combine(Folder, QemuLauncher.ConsoleFile);
            public bool HidesDebugLines { get; }
            public bool StopsOnFailureLines { get; }
            public IReadOnlyList<string> RunscriptFiles => runscriptFiles ??= GuestCommandLines.RunscriptFiles(InstanceRecord.Load(Folder)["guest_command_line"] ?? "");
            private IReadOnlyList<string>? runscriptFiles;

            public IReadOnlyList<string> KernelLogLines()
            {
                string log = Path.Combine(Folder, KernelLogHarvest.LogFile);
                try
                {
                    return File.Exists(log) ? File.ReadAllText(log).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList() : new List<string>();
                }
                catch (IOException)
                {
                    return new List<string>();
                }
            }

            public bool WaitForEnd(TimeSpan wait)
            {
                if (process != null && process.Id > 0 && InstanceRecord.Load(Folder)["wrapper_pid"] == null)
                {
                    if (process.WaitForExit((int)wait.TotalMilliseconds))
                    {
                        return true;
                    }
                    if (!StopsOnFailureLines)
                    {
                        // A guest that shut down keeps its QEMU (-no-shutdown) until its log is read: looking settles it.
                        engine.store.Get(Name);
                    }
                    return false;
                }
                if (engine.store.Get(Name).State != InstanceState.Running)
                {
                    return true;
                }
                Thread.Sleep(wait);
                return false;
            }

            public OsvInstance Finish()
            {
                if (process != null && InstanceRecord.Load(Folder)["wrapper_pid"] == null)
                {
                    process.WaitForExit();
                    engine.store.RecordExit(Name, process.ExitCode);
                }
                else
                {
                    // The shell that waited on QEMU writes its status a moment after QEMU ends.
                    WaitFor(() => QemuLauncher.ReadExit(Folder) != null, TimeSpan.FromSeconds(2), CancellationToken.None);
                }
                var ended = engine.store.Get(Name);
                if (ended.State != InstanceState.Running)
                {
                    engine.ReleaseAddress(Name, Folder);
                }
                return ended;
            }

            public void Dispose() => process?.Dispose();
        }
    }
}
