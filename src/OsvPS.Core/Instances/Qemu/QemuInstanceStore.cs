using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>
    /// The instances QEMU runs on this machine, as folders of <c>&lt;root&gt;/instances/qemu/</c> with a small
    /// state file each; reads them into <see cref="OsvInstance"/>s and records how they ended.
    /// </summary>
    internal sealed class QemuInstanceStore
    {
        private readonly CapstanRepository repository;
        private readonly IInstanceEngine engine;

        public QemuInstanceStore(CapstanRepository repository, IInstanceEngine engine)
        {
            this.repository = repository;
            this.engine = engine;
        }

        public string InstancesPath => repository.InstancesPath;

        /// <summary>An instance's folder; the name is checked first, so no name leads outside instances/qemu.</summary>
        public string Folder(string name)
        {
            InstanceNames.Validate(name);
            return Path.Combine(repository.InstancesPath, name);
        }

        /// <summary>
        /// The folder a start writes into, made when missing: it and the folders above it up to the
        /// repository must be real folders of this user's, not links (a link would have QEMU write its
        /// disk, console and pid file wherever it points).
        /// </summary>
        public string PrepareFolder(string name)
        {
            string folder = Folder(name);
            string root = Path.GetFullPath(repository.Root);
            string instances = Path.GetDirectoryName(folder)!;
            var chain = new List<string>();
            for (string? p = instances; p != null && p.Length > root.Length; p = Path.GetDirectoryName(p))
            {
                chain.Insert(0, p);
            }
            chain.Add(folder);
            foreach (string path in chain)
            {
                var status = UnixFile.Stat(path, noFollow: true);
                if (status == null)
                {
                    Directory.CreateDirectory(path);
                    status = UnixFile.Stat(path, noFollow: true);
                }
                if (status == null || status.Type != UnixFileType.Directory || status.Owner != HostProcess.UserId)
                {
                    throw new OsvException(ErrorIds.InstanceFolderInvalid, OsvErrorKind.SecurityError,
                        $"'{path}' is {(status != null && status.Type == UnixFileType.Other ? "a link or not a folder" : "not a folder of this user's")}; instances are only written into real folders of the repository. Remove it, or start the instance under another -Name.", path);
                }
            }
            HostProcess.MakePrivate(folder);
            return folder;
        }

        public bool Exists(string name) => File.Exists(Path.Combine(Folder(name), InstanceRecord.FileName));

        public IEnumerable<string> Names()
        {
            if (!Directory.Exists(repository.InstancesPath))
            {
                return Enumerable.Empty<string>();
            }
            return Directory.GetDirectories(repository.InstancesPath)
                .Select(p => Path.GetFileName(p)!)
                .Where(n => InstanceNames.IsValid(n) && File.Exists(Path.Combine(repository.InstancesPath, n, InstanceRecord.FileName)))
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToList();
        }

        public InstanceRecord Load(string name) => InstanceRecord.Load(Folder(name));

        /// <summary>QEMU's process id while it runs (a reused id is not mistaken for it), else null.</summary>
        public int? RunningPid(string folder, InstanceRecord record)
        {
            if (record.Int("pid") is int pid && HostProcess.IsAlive(pid, folder))
            {
                return pid;
            }
            // A background QEMU has just ended and its shell is writing the status: still running for a moment.
            if (record.Int("wrapper_pid") is int wrapper && HostProcess.IsAlive(wrapper, folder) && QemuLauncher.ReadExit(folder) == null)
            {
                return record.Int("pid") ?? wrapper;
            }
            return null;
        }

        public OsvInstance Get(string name)
        {
            string folder = Folder(name);
            if (!File.Exists(Path.Combine(folder, InstanceRecord.FileName)))
            {
                throw new OsvException(ErrorIds.InstanceNotFound, OsvErrorKind.ObjectNotFound, $"there is no instance '{name}' in {repository.InstancesPath}.", name);
            }
            var r = InstanceRecord.Load(folder);
            try
            {
                return Read(name, folder, r);
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException || e is OverflowException || e is DecoderFallbackException)
            {
                throw new OsvException(ErrorIds.InstanceStateInvalid, OsvErrorKind.InvalidData,
                    $"the state file of instance '{name}' ({Path.Combine(folder, InstanceRecord.FileName)}) is damaged: {e.Message} Remove the instance with 'Remove-OsvInstance {name} -Force'.", name, e);
            }
        }

        private OsvInstance Read(string name, string folder, InstanceRecord r)
        {
            if (r["image"] == null || r["started"] != null && r.Time("started") == null)
            {
                throw new FormatException("it names no image, or an unreadable start time.");
            }
            int? running = RunningPid(folder, r);
            if (running is int pid && KernelLogHarvest.Settle(folder, r, pid))
            {
                // The guest had shut down: its log is saved and QEMU told to quit; its end (and its shell's status) follow at once.
                QemuEngine.WaitFor(() => RunningPid(folder, r) == null, TimeSpan.FromSeconds(10), System.Threading.CancellationToken.None);
                running = RunningPid(folder, r);
            }
            else if (running is int live && KernelStopWatch.EndIfStopped(folder, r, live))
            {
                QemuEngine.WaitFor(() => RunningPid(folder, r) == null, TimeSpan.FromSeconds(10), System.Threading.CancellationToken.None);
                running = RunningPid(folder, r);
            }
            var outcome = running != null ? InstanceOutcome.Running : OutcomeOf(folder, r);
            DateTime? stopped = running != null ? null : r.Time("stopped") ?? QemuLauncher.ReadExit(folder)?.When;
            string forwards = r["forwards"] ?? "";
            string commandLine = r["command_line"] ?? "";
            var facts = new InstanceFacts
            {
                Name = name,
                Path = folder,
                Image = r["image"] ?? "",
                ImagePath = r["image_path"] ?? "",
                Started = r.Time("started"),
                Stopped = stopped,
                Forwards = forwards.Length == 0 ? new string[0] : forwards.Split(','),
                Network = r["network"] ?? "User",
                IPAddresses = r["ip"] is string ip ? new[] { ip } : GuestAddresses.FromConsole(Path.Combine(folder, QemuLauncher.ConsoleFile)),
                ConsolePath = Path.Combine(folder, QemuLauncher.ConsoleFile),
                Accelerator = r["accelerator"] ?? "",
                BootMode = r["boot_mode"] ?? "",
                CommandLine = commandLine,
                GuestCommandLine = r["guest_command_line"],
            };
            var qemu = new InstanceProcess(running ?? r.Int("pid"),
                r["qemu_command"] is string q ? Encoding.UTF8.GetString(Convert.FromBase64String(q)).Split('\0') : new string[0]);
            return engine.Describe(facts, outcome, qemu);
        }

        /// <summary>
        /// How an ended instance ended, decided once and kept in its record (the console and QEMU's
        /// status do not change after QEMU ends, until the next start replaces them).
        /// </summary>
        private static InstanceOutcome OutcomeOf(string folder, InstanceRecord record)
        {
            if (record["outcome"] is string kept && Enum.TryParse(kept, out InstanceState state))
            {
                return InstanceOutcome.Kept(state, record.Int("guest_exit"), record["failure"], record["failure_id"]);
            }
            string guestLine = record["guest_command_line"] ?? record["command_line"] ?? "";
            var console = GuestConsoleReport.Scan(Path.Combine(folder, QemuLauncher.ConsoleFile));
            var kernelLog = record["kernel_log"] != null ? KernelLogReport.ReadFrom(Path.Combine(folder, KernelLogHarvest.LogFile)) : null;
            var outcome = record["kernel_stopped"] is string stopped && record["stop_requested"] == null ? InstanceOutcome.KernelStopped(stopped, console)
                : kernelLog != null
                ? InstanceOutcome.FromKernelLog(kernelLog, record["stop_requested"] != null, console)
                : InstanceOutcome.Ended(record["start_failure"], HypervisorEnd(folder, record), record["stop_requested"] != null,
                    console, GuestCommandLines.ReportsExitStatus(guestLine));
            record["outcome"] = outcome.State.ToString();
            record["guest_exit"] = outcome.ExitCode?.ToString(CultureInfo.InvariantCulture);
            record["failure"] = outcome.Reason;
            record["failure_id"] = outcome.FailureId;
            if (record["stopped"] == null && QemuLauncher.ReadExit(folder) is var (_, when))
            {
                record.SetTime("stopped", when);
            }
            try
            {
                record.Save(folder);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // Another user's instance, or a read-only repository: the answer is simply not kept.
            }
            return outcome;
        }

        // How QEMU ended when that was not a clean exit: from the caller that saw it, the shell that waited
        // on it, or (neither) the pid file QEMU removes only when it exits cleanly.
        private static string? HypervisorEnd(string folder, InstanceRecord record)
        {
            int? status = record.Int("exit_code") ?? QemuLauncher.ReadExit(folder)?.Status;
            if (status is int code)
            {
                return InstanceOutcome.DescribeHypervisorExit("QEMU", code, code == 0 ? null : LastLogLine(folder));
            }
            return File.Exists(Path.Combine(folder, QemuLauncher.PidFile)) ? "QEMU ended without cleaning up (it was killed, or the machine went down)" : null;
        }

        private static string? LastLogLine(string folder)
            => QemuLauncher.ReadLog(folder).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);

        /// <summary>Records how an attached run ended: OsvPS saw QEMU's exit code.</summary>
        public void RecordExit(string name, int exitCode)
        {
            string folder = Folder(name);
            var record = InstanceRecord.Load(folder);
            record["exit_code"] = exitCode.ToString(CultureInfo.InvariantCulture);
            record.SetTime("stopped", DateTime.UtcNow);
            record["outcome"] = null;
            record.Save(folder);
        }

        /// <summary>Marks an instance as stopped on request, before the stop, so its end is not a crash.</summary>
        public void MarkStopRequested(string name)
        {
            string folder = Folder(name);
            var record = InstanceRecord.Load(folder);
            if (record["stop_requested"] == null)
            {
                record["stop_requested"] = "1";
                record["outcome"] = null;
                record.Save(folder);
            }
        }

        /// <summary>After a requested stop: the stop time when no one recorded it, and the pid file QEMU may have left.</summary>
        public void RecordStopped(string name)
        {
            string folder = Folder(name);
            var record = InstanceRecord.Load(folder);
            if (record["stopped"] == null)
            {
                record.SetTime("stopped", DateTime.UtcNow);
            }
            record["outcome"] = null;
            record.Save(folder);
            AtomicFile.TryDelete(Path.Combine(folder, QemuLauncher.PidFile));
        }
    }
}
