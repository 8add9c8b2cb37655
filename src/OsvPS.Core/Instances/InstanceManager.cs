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
using OsvPS.Core.Packaging;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Rofs;

namespace OsvPS.Core.Instances
{
    /// <summary>What Start-OsvInstance was asked for.</summary>
    public sealed class StartRequest
    {
        /// <summary>The image file to run.</summary>
        public string ImagePath { get; set; } = "";
        /// <summary>How the image is called (its repository name, or its path).</summary>
        public string ImageName { get; set; } = "";
        public string? Name { get; set; }
        public IReadOnlyList<string>? Boot { get; set; }
        public IReadOnlyDictionary<string, string>? Env { get; set; }
        public string? CommandLine { get; set; }
        public MachineOptions Machine { get; set; } = new MachineOptions();
        public Accelerator Accelerator { get; set; } = Accelerator.Auto;
        public BootMode BootMode { get; set; } = BootMode.Auto;
        public string? QemuPath { get; set; }
        /// <summary>The caller waits for the guest: QEMU dies with the caller.</summary>
        public bool Attached { get; set; }
    }

    /// <summary>A checked start: everything decided, nothing started yet.</summary>
    public sealed class StartPlan
    {
        internal StartPlan(StartRequest request, string name, string folder, string qemu, AcceleratorChoice accelerator,
            string commandLine, bool rewriteDisk, string? kernel, DiskFormat imageFormat)
        {
            Request = request;
            Name = name;
            Folder = folder;
            Qemu = qemu;
            Accelerator = accelerator;
            CommandLine = commandLine;
            RewriteDisk = rewriteDisk;
            Kernel = kernel;
            ImageFormat = imageFormat;
        }

        public StartRequest Request { get; }
        public string Name { get; }
        public string Folder { get; }
        public string Qemu { get; }
        public AcceleratorChoice Accelerator { get; }
        /// <summary>The command line the instance runs (the image's, or the one chosen for this run).</summary>
        public string CommandLine { get; }
        /// <summary>
        /// What the guest is really given: <see cref="CommandLine"/> with OSv told to power off when it
        /// aborts, so a failed program ends its instance instead of halting it forever.
        /// </summary>
        public string GuestCommandLine => CommandLine.Length == 0 || CommandLine.Contains(GuestFailureDetector.PowerOffOnAbort)
            ? CommandLine
            : GuestFailureDetector.PowerOffOnAbort + " " + CommandLine;
        /// <summary>True when the guest's command line is written into the overlay (disk boot of a raw or qcow2 image).</summary>
        public bool RewriteDisk { get; }
        /// <summary>The kernel ELF booted directly, or null for a disk boot.</summary>
        public string? Kernel { get; }
        public DiskFormat ImageFormat { get; }
        public string BootModeName => Kernel == null ? "Disk" : "Kernel";
    }

    /// <summary>A started QEMU. For attached runs the caller follows <see cref="Console"/> and waits on <see cref="Process"/>.</summary>
    public sealed class StartedInstance : IDisposable
    {
        internal StartedInstance(Process process, string name, string folder, GuestWatch console, IReadOnlyList<string> arguments)
        {
            Process = process;
            Name = name;
            Folder = folder;
            Console = console;
            Arguments = arguments;
        }

        public Process Process { get; }
        public string Name { get; }
        public string Folder { get; }
        /// <summary>The console, watched for OSv's failure lines.</summary>
        public GuestWatch Console { get; }
        /// <summary>QEMU's arguments, as passed.</summary>
        public IReadOnlyList<string> Arguments { get; }

        public void Dispose()
        {
            Console.Dispose();
            Process.Dispose();
        }
    }

    /// <summary>Starts, lists, stops and removes instances in <c>&lt;root&gt;/instances/qemu/</c>.</summary>
    public sealed class InstanceManager : IInstanceEngine
    {
        private const string OverlayFile = "disk.qcow2";
        private const string ConsoleFile = "console.log";
        private const string MonitorFile = "osv.monitor";
        private const string PidFile = "qemu.pid";
        private const string QemuLogFile = "qemu.log";

        private readonly CapstanRepository repository;

        public InstanceManager(CapstanRepository repository) => this.repository = repository;

        /// <summary>An instance's folder; the name is checked first, so no name leads outside instances/qemu.</summary>
        public string Folder(string name)
        {
            ValidateName(name);
            return Path.Combine(repository.InstancesPath, name);
        }

        private static bool IsValidName(string name)
            => name.Length > 0 && name.Length <= 64 && name != "." && name != ".." && name.All(c => char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == '-');

        public static void ValidateName(string name)
        {
            if (!IsValidName(name))
            {
                throw new OsvException("InstanceNameInvalid", OsvErrorKind.InvalidArgument,
                    $"'{name}' is not a valid instance name: use up to 64 letters, digits, '.', '_' and '-'.", name);
            }
        }

        /// <summary>The kernel ELF that belongs to an image: beside the image itself (a loader) or beside its loader.</summary>
        public string? FindKernel(string imagePath)
        {
            string own = Path.ChangeExtension(imagePath, ".elf");
            if (File.Exists(own))
            {
                return own;
            }
            string? loader = ReadLoaderOf(imagePath);
            if (loader != null)
            {
                string beside = Path.ChangeExtension(loader, ".elf");
                if (File.Exists(beside))
                {
                    return beside;
                }
            }
            return null;
        }

        private static string? ReadLoaderOf(string imagePath)
            => CapstanRepository.ReadIndexFile(Path.Combine(Path.GetDirectoryName(imagePath) ?? ".", "index.yaml")).Loader;

        // A kernel downloaded with its loader has its hash in the loader's index: a changed file is not booted.
        internal static void CheckKernel(string kernel)
        {
            string? expected = CapstanRepository.ReadIndexFile(Path.Combine(Path.GetDirectoryName(kernel) ?? ".", "index.yaml")).KernelSha256;
            if (expected != null && Remote.Downloader.Sha256(kernel) != expected)
            {
                throw new OsvException("KernelCorrupt", OsvErrorKind.InvalidData,
                    $"the kernel '{kernel}' no longer matches the SHA-256 recorded when it was downloaded; fetch it again with 'Save-OsvImage -Force'.", kernel);
            }
        }

        public StartPlan Plan(StartRequest request, CancellationToken cancellation)
        {
            if (!File.Exists(request.ImagePath))
            {
                throw new OsvException("ImageNotFound", OsvErrorKind.ObjectNotFound, $"image file '{request.ImagePath}' does not exist.", request.ImagePath);
            }
            string name = request.Name ?? request.ImageName.Replace('/', '-');
            ValidateName(name);
            ValidateMachine(request.Machine, name);
            foreach (var volume in request.Machine.Volumes)
            {
                if (!File.Exists(volume.Path))
                {
                    throw new OsvException("VolumeNotFound", OsvErrorKind.ObjectNotFound, $"volume '{volume.Path}' does not exist.", volume.Path);
                }
            }
            string folder = Folder(name);
            ThrowIfRunning(name, folder);

            var format = DiskFormats.Detect(request.ImagePath);
            string? kernel = request.BootMode == BootMode.Disk ? null : FindKernel(request.ImagePath);
            if (kernel != null)
            {
                CheckKernel(kernel);
            }
            if (request.BootMode == BootMode.Kernel && kernel == null)
            {
                throw new OsvException("KernelNotFound", OsvErrorKind.ObjectNotFound,
                    $"image '{request.ImageName}' has no kernel ELF beside it or its loader; attach one with 'Import-OsvImage -Kernel', or use -BootMode Disk.", request.ImageName);
            }

            bool rewrite = request.Boot?.Count > 0 || request.Env?.Count > 0 || !string.IsNullOrEmpty(request.CommandLine);
            string commandLine;
            if (format != DiskFormat.Raw && format != DiskFormat.Qcow2)
            {
                if (rewrite || kernel != null)
                {
                    throw new OsvException("DiskFormatNotSupported", OsvErrorKind.InvalidOperation,
                        $"'{request.ImagePath}' is {format}; choosing the command line at run time needs a raw or qcow2 image (build with -Format qcow2).", request.ImagePath);
                }
                commandLine = "";
            }
            else
            {
                using (var disk = DiskReader.Open(request.ImagePath))
                {
                    commandLine = RunCommandLine(request, disk);
                }
            }

            string qemu = QemuInstallation.FindEmulator(request.QemuPath);
            var accelerator = AcceleratorProbe.Choose(request.Accelerator, qemu, repository, cancellation);
            bool canRewrite = format == DiskFormat.Raw || format == DiskFormat.Qcow2;
            return new StartPlan(request, name, folder, qemu, accelerator, commandLine, canRewrite && kernel == null, kernel, format);
        }

        /// <summary>The machine settings any engine checks: memory, CPUs, network and forwards.</summary>
        internal static void ValidateMachine(MachineOptions machine, string name)
        {
            if (machine.MemoryMiB < 16 || machine.Cpus < 1 || machine.Cpus > 255)
            {
                throw new OsvException("InstanceSettingInvalid", OsvErrorKind.InvalidArgument, "-Memory must be at least 16 MB and -Cpus between 1 and 255.", name);
            }
            machine.Validate();
            if (machine.Network == NetworkMode.Tap && string.IsNullOrEmpty(machine.TapDevice))
            {
                throw new OsvException("InstanceSettingInvalid", OsvErrorKind.InvalidArgument, "-Network Tap needs -TapDevice.", name);
            }
            if (machine.Forwards.Count > 0 && machine.Network != NetworkMode.User)
            {
                throw new OsvException("InstanceSettingInvalid", OsvErrorKind.InvalidArgument, "-Forward works with user networking only.", name);
            }
        }

        /// <summary>The command line a run of <paramref name="disk"/> gets: the image's own, or the one -Boot, -Env and -CommandLine make.</summary>
        internal static string RunCommandLine(StartRequest request, DiskReader disk)
        {
            string current = OsvDiskLayout.ReadCommandLine(disk);
            if (!(request.Boot?.Count > 0) && string.IsNullOrEmpty(request.CommandLine))
            {
                BootCommands.RequireConfigSet(current, () => RofsIndex.List(disk, "/run"), request.ImageName);
            }
            if (!(request.Boot?.Count > 0 || request.Env?.Count > 0 || !string.IsNullOrEmpty(request.CommandLine)))
            {
                return current;
            }
            if (string.IsNullOrEmpty(request.CommandLine) && !(request.Boot?.Count > 0))
            {
                // Only -Env: keep what the image runs, with the env in front.
                return BootCommands.ComposeCommandLine(current, null, request.Env, null, null);
            }
            return BootCommands.ComposeCommandLine(request.CommandLine, request.Boot, request.Env, null, RofsIndex.List(disk, "/run").ToList());
        }

        /// <summary>Creates the instance folder and overlay, starts QEMU and waits until its monitor answers.</summary>
        public StartedInstance Start(StartPlan plan, CancellationToken cancellation)
        {
            // Two starts of one name at once would leave a QEMU no record tracks: one at a time, and
            // the running check is made again once the name is held.
            using (HoldName(plan.Name))
            {
                ThrowIfRunning(plan.Name, plan.Folder);
                return StartHeld(plan, cancellation);
            }
        }

        private static void ThrowIfRunning(string name, string folder)
        {
            if (InstanceRecord.Load(folder).Int("pid") is int pid && HostProcess.IsAlive(pid, folder))
            {
                throw new OsvException("InstanceExists", OsvErrorKind.ResourceExists,
                    $"instance '{name}' is running (pid {pid}); stop it with 'Stop-OsvInstance {name}' or start another with -Name.", name);
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
                throw new OsvException("InstanceExists", OsvErrorKind.ResourceExists,
                    $"instance '{name}' is being started by another process; start another with -Name.", name, e);
            }
        }

        private StartedInstance StartHeld(StartPlan plan, CancellationToken cancellation)
        {
            string folder = plan.Folder;
            Directory.CreateDirectory(folder);
            HostProcess.MakePrivate(folder);
            foreach (string stale in new[] { OverlayFile, ConsoleFile, MonitorFile, PidFile, QemuLogFile })
            {
                AtomicFile.TryDelete(Path.Combine(folder, stale));
            }
            string overlay = Path.Combine(folder, OverlayFile);
            string? commandLine = plan.RewriteDisk ? plan.GuestCommandLine : null;
            if (plan.ImageFormat == DiskFormat.Raw || plan.ImageFormat == DiskFormat.Qcow2)
            {
                Overlay.Create(overlay, plan.Request.ImagePath, plan.ImageFormat, commandLine);
            }
            else
            {
                CreateOverlayWithQemuImg(overlay, plan, cancellation);
            }

            string monitor = MonitorPath(folder);
            var settings = new InstanceSettings
            {
                Name = plan.Name,
                DiskPath = overlay,
                Machine = plan.Request.Machine,
                Accelerator = plan.Accelerator.Accelerator,
                Cache = HostProcess.SupportsDirectIo(folder) ? "none" : "unsafe",
                AioType = RepositoryConfig.Load(repository).QemuAioType,
                ConsolePath = Path.Combine(folder, ConsoleFile),
                MonitorPath = monitor,
                PidPath = Path.Combine(folder, PidFile),
                KernelPath = plan.Kernel,
                KernelCommandLine = plan.Kernel != null ? plan.GuestCommandLine : null,
            };
            var arguments = QemuArguments.Build(settings);

            var record = new InstanceRecord
            {
                ["name"] = plan.Name,
                ["image"] = plan.Request.ImageName,
                ["image_path"] = plan.Request.ImagePath,
                ["qemu"] = plan.Qemu,
                ["accelerator"] = plan.Accelerator.Accelerator.ToString(),
                ["boot_mode"] = plan.BootModeName,
                ["command_line"] = plan.CommandLine,
                ["forwards"] = string.Join(",", plan.Request.Machine.Forwards.Select(f => f.ToString())),
                ["monitor"] = monitor,
                ["folder"] = folder,
            };
            record.SetTime("started", DateTime.UtcNow);

            // NUL cannot occur in an argument, so it separates them safely.
            record["qemu_command"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join("\0", new[] { plan.Qemu }.Concat(arguments))));
            var process = Launch(plan, arguments, folder);
            record["pid"] = process.Id.ToString(CultureInfo.InvariantCulture);
            record.Save(folder);
            try
            {
                using (QmpClient.Connect(monitor, TimeSpan.FromSeconds(10), cancellation, () => !process.HasExited))
                {
                }
            }
            catch (Exception e) when (e is OsvException || e is OperationCanceledException)
            {
                if (!process.HasExited)
                {
                    HostProcess.KillHard(process.Id);
                }
                process.WaitForExit(5000);
                RecordExit(plan.Name, process.HasExited ? process.ExitCode : -1);
                if (e is OperationCanceledException)
                {
                    throw;
                }
                string log = ReadQemuLog(folder);
                throw new OsvException("QemuFailed", OsvErrorKind.InvalidResult,
                    $"QEMU did not start instance '{plan.Name}'" + (log.Length > 0 ? ": " + log : "."), plan.Name, e);
            }
            return new StartedInstance(process, plan.Name, folder, new GuestWatch(new ConsoleFollower(settings.ConsolePath)), arguments);
        }

        // The monitor socket lives in the instance's own 0700 folder. A Unix socket path holds at most 107
        // bytes; for a deep CAPSTAN_ROOT it goes to /tmp/osvps-<uid>, a folder checked to be this user's
        // alone: QMP is root over the guest and over QEMU (migrate exec: runs commands as its user).
        private static string MonitorPath(string folder)
        {
            string path = Path.Combine(folder, MonitorFile);
            if (Encoding.UTF8.GetByteCount(path) <= 100)
            {
                return path;
            }
            string shared = HostProcess.PrivateFolder(Path.Combine(Path.GetTempPath(), "osvps-" + HostProcess.UserId.ToString(CultureInfo.InvariantCulture)));
            using (var sha = System.Security.Cryptography.SHA256.Create())
            {
                string hash = BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(folder))).Replace("-", "").Substring(0, 16).ToLowerInvariant();
                return Path.Combine(shared, hash + ".monitor");
            }
        }

        private static Process Launch(StartPlan plan, IReadOnlyList<string> arguments, string folder)
        {
            // Attached runs die with the caller (parent-death signal); background ones get a session of
            // their own so closing the caller's terminal does not take them down.
            string program = plan.Qemu;
            var args = new List<string>(arguments);
            string? setpriv = plan.Request.Attached ? HostProcess.Which("setpriv") : null;
            string? setsid = plan.Request.Attached ? null : HostProcess.Which("setsid");
            if (setpriv != null)
            {
                args.InsertRange(0, new[] { "--pdeathsig", "KILL", "--", program });
                program = setpriv;
            }
            else if (setsid != null)
            {
                args.Insert(0, program);
                program = setsid;
            }
            var info = new ProcessStartInfo(program, ProcessRunner.Quote(args))
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var log = new StreamWriter(new FileStream(Path.Combine(folder, QemuLogFile), FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            DataReceivedEventHandler append = (_, e) =>
            {
                if (e.Data != null)
                {
                    lock (log)
                    {
                        log.WriteLine(e.Data);
                    }
                }
            };
            process.OutputDataReceived += append;
            process.ErrorDataReceived += append;
            process.Exited += (_, __) =>
            {
                // Let the last lines of stderr arrive before closing the log.
                Thread.Sleep(50);
                lock (log)
                {
                    log.Dispose();
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        private static void CreateOverlayWithQemuImg(string overlay, StartPlan plan, CancellationToken cancellation)
        {
            string qemuImg = ToolLocator.Find("qemu-img");
            var result = ProcessRunner.Run(qemuImg, new[] { "create", "-q", "-f", "qcow2", "-F", plan.ImageFormat.ToString().ToLowerInvariant(), "-b", plan.Request.ImagePath, overlay }, cancellation);
            if (result.ExitCode != 0)
            {
                throw new OsvException("OverlayFailed", OsvErrorKind.InvalidResult, $"qemu-img could not create the overlay: {result.Error.Trim()}", overlay);
            }
        }

        private static string ReadQemuLog(string folder)
        {
            string path = Path.Combine(folder, QemuLogFile);
            for (int i = 0; i < 10; i++)
            {
                try
                {
                    using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                    using (var r = new StreamReader(s))
                    {
                        string text = r.ReadToEnd().Trim();
                        if (text.Length > 0)
                        {
                            return text;
                        }
                    }
                }
                catch (IOException)
                {
                }
                Thread.Sleep(20);
            }
            return "";
        }

        /// <summary>Records how an instance ended (for attached runs, where OsvPS sees QEMU's exit code).</summary>
        public OsvInstance RecordExit(string name, int exitCode)
        {
            string folder = Folder(name);
            var record = InstanceRecord.Load(folder);
            record["exit_code"] = exitCode.ToString(CultureInfo.InvariantCulture);
            record.SetTime("stopped", DateTime.UtcNow);
            record["failure_checked"] = null;
            record.Save(folder);
            return Get(name);
        }

        IEnumerable<OsvInstance> IInstanceEngine.List(CancellationToken cancellation) => List();

        OsvInstance IInstanceEngine.Get(string name, CancellationToken cancellation) => Get(name);

        public void Dispose()
        {
            // Nothing is held open: every call reads the instance folders anew.
        }

        /// <summary>All instances, sorted by name.</summary>
        public IEnumerable<OsvInstance> List()
        {
            if (!Directory.Exists(repository.InstancesPath))
            {
                return Enumerable.Empty<OsvInstance>();
            }
            return Directory.GetDirectories(repository.InstancesPath)
                .Select(Path.GetFileName)
                .Where(n => IsValidName(n!) && File.Exists(Path.Combine(Folder(n!), InstanceRecord.FileName)))
                .OrderBy(n => n, StringComparer.Ordinal)
                .Select(n => Get(n!))
                .ToList();
        }

        public OsvInstance Get(string name)
        {
            string folder = Folder(name);
            if (!File.Exists(Path.Combine(folder, InstanceRecord.FileName)))
            {
                throw new OsvException("InstanceNotFound", OsvErrorKind.ObjectNotFound, $"there is no instance '{name}' in {repository.InstancesPath}.", name);
            }
            var r = InstanceRecord.Load(folder);
            int? pid = r.Int("pid");
            int? exit = r.Int("exit_code");
            InstanceState state;
            if (pid.HasValue && HostProcess.IsAlive(pid.Value, folder))
            {
                state = InstanceState.Running;
                exit = null;
            }
            else if (exit.HasValue)
            {
                state = exit.Value == 0 ? InstanceState.Stopped : InstanceState.Crashed;
            }
            else
            {
                // QEMU removes its pid file when it ends cleanly; one left behind means it was killed.
                state = File.Exists(Path.Combine(folder, PidFile)) ? InstanceState.Crashed : InstanceState.Stopped;
            }
            string? reason = null;
            if (state != InstanceState.Running)
            {
                var failure = FailureOf(folder, r);
                if (failure != null)
                {
                    state = InstanceState.Failed;
                    reason = failure.Reason;
                }
            }
            string forwards = r["forwards"] ?? "";
            return new OsvInstance(name, folder, state, pid, r["image"] ?? "", r["image_path"] ?? "", r.Time("started"),
                state == InstanceState.Running ? null : r.Time("stopped"),
                forwards.Length == 0 ? new string[0] : forwards.Split(','),
                Path.Combine(folder, ConsoleFile), r["accelerator"] ?? "", r["boot_mode"] ?? "", r["command_line"] ?? "", exit,
                r["qemu_command"] is string q ? Encoding.UTF8.GetString(Convert.FromBase64String(q)).Split('\0') : new string[0],
                reason, r["failure_id"]);
        }

        /// <summary>
        /// The failure the console of an ended instance shows, read once and kept in its record (the log
        /// does not change after QEMU ends, until the next start replaces it).
        /// </summary>
        private static GuestFailure? FailureOf(string folder, InstanceRecord record)
        {
            if (record["failure_checked"] == null)
            {
                var found = GuestFailureDetector.Scan(Path.Combine(folder, ConsoleFile));
                record["failure_checked"] = "1";
                record["failure"] = found?.Reason;
                record["failure_id"] = found?.ErrorId;
                try
                {
                    record.Save(folder);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    // Another user's instance, or a read-only repository: the answer is simply not kept.
                }
            }
            return record["failure"] is string reason ? new GuestFailure(record["failure_id"] ?? "GuestFailed", reason) : null;
        }

        /// <summary>
        /// Stops an instance: an ACPI power-down through QMP, then after <paramref name="timeout"/> a QMP quit,
        /// then a kill. <paramref name="force"/> quits at once.
        /// </summary>
        public OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation)
        {
            var instance = Get(name);
            if (instance.State != InstanceState.Running || instance.Pid == null)
            {
                return instance;
            }
            int pid = instance.Pid.Value;
            string folder = Folder(name);
            string monitor = InstanceRecord.Load(folder)["monitor"] ?? Path.Combine(folder, MonitorFile);
            bool Alive() => HostProcess.IsAlive(pid, folder);
            try
            {
                using (var qmp = QmpClient.Connect(monitor, TimeSpan.FromSeconds(2), cancellation, Alive))
                {
                    if (!force)
                    {
                        qmp.PowerDown();
                        if (WaitForExit(Alive, timeout, cancellation))
                        {
                            return Finish(name);
                        }
                    }
                    qmp.Quit();
                }
                if (WaitForExit(Alive, TimeSpan.FromSeconds(5), cancellation))
                {
                    return Finish(name);
                }
            }
            catch (OsvException)
            {
                // No monitor: fall through to signals.
            }
            HostProcess.Terminate(pid);
            if (!WaitForExit(Alive, TimeSpan.FromSeconds(3), cancellation))
            {
                HostProcess.KillHard(pid);
                WaitForExit(Alive, TimeSpan.FromSeconds(5), cancellation);
            }
            return Finish(name);
        }

        private OsvInstance Finish(string name)
        {
            string folder = Folder(name);
            var record = InstanceRecord.Load(folder);
            if (record["exit_code"] == null)
            {
                // Stopped on request: whatever QEMU's end looked like, it is not a crash.
                record["exit_code"] = "0";
                record.SetTime("stopped", DateTime.UtcNow);
                record["failure_checked"] = null;
                record.Save(folder);
            }
            AtomicFile.TryDelete(Path.Combine(folder, PidFile));
            return Get(name);
        }

        /// <summary>
        /// Waits until the instance is no longer running, watching its console: on one of OSv's failure
        /// lines the guest is stopped at once. False when <paramref name="timeout"/> passed first.
        /// </summary>
        public bool Wait(string name, TimeSpan? timeout, CancellationToken cancellation)
        {
            var instance = Get(name);
            if (instance.State != InstanceState.Running || instance.Pid == null)
            {
                return true;
            }
            int pid = instance.Pid.Value;
            string folder = Folder(name);
            var watch = new GuestWatch(new ConsoleFollower(instance.ConsolePath));
            var clock = Stopwatch.StartNew();
            try
            {
                while (HostProcess.IsAlive(pid, folder))
                {
                    watch.Poll();
                    if (watch.StopDue)
                    {
                        Stop(name, TimeSpan.Zero, force: true, CancellationToken.None);
                        return true;
                    }
                    if (timeout.HasValue && clock.Elapsed > timeout.Value)
                    {
                        return false;
                    }
                    cancellation.ThrowIfCancellationRequested();
                    Thread.Sleep(20);
                }
                return true;
            }
            finally
            {
                watch.Dispose();
            }
        }

        private static bool WaitForExit(Func<bool> alive, TimeSpan timeout, CancellationToken cancellation)
        {
            var watch = Stopwatch.StartNew();
            while (alive())
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
            var instance = Get(name);
            if (instance.State == InstanceState.Running)
            {
                if (!force)
                {
                    throw new OsvException("InstanceRunning", OsvErrorKind.InvalidOperation,
                        $"instance '{name}' is running; stop it first or use -Force.", name);
                }
                Stop(name, TimeSpan.Zero, true, cancellation);
            }
            string monitor = InstanceRecord.Load(Folder(name))["monitor"] ?? "";
            if (monitor.Length > 0 && !monitor.StartsWith(Folder(name), StringComparison.Ordinal))
            {
                AtomicFile.TryDelete(monitor);
            }
            Directory.Delete(Folder(name), true);
        }

        /// <summary>The last <paramref name="tail"/> lines of the console (all when null).</summary>
        public List<string> ReadConsole(string name, int? tail) => ConsoleFollower.ReadLines(Get(name).ConsolePath, tail);
    }
}
