using System;

namespace OsvPS.Core.Models
{
    public enum InstanceState
    {
        Running,
        /// <summary>The guest ended (powered off, or was stopped) with no failure on its console.</summary>
        Stopped,
        /// <summary>QEMU ended without the guest powering off and without being asked to (killed, crashed).</summary>
        Crashed,
        /// <summary>The program did not run, died, or ended with a non-zero status; or QEMU could not start (see <see cref="OsvInstance.Reason"/>).</summary>
        Failed,
    }

    /// <summary>One QEMU process running an image, with its own overlay disk and monitor socket.</summary>
    public sealed class OsvInstance
    {
        public OsvInstance(string name, string path, InstanceState state, int? pid, string image, string imagePath, DateTime? started,
            DateTime? stopped, string[] forwards, string consolePath, string accelerator, string bootMode, string commandLine, int? exitCode, string[] qemuCommand,
            string? reason = null, string? failureId = null, string engine = "Qemu", string? connection = null, string? guestCommandLine = null)
        {
            GuestCommandLine = guestCommandLine ?? commandLine;
            Name = name;
            Path = path;
            State = state;
            Pid = pid;
            Image = image;
            ImagePath = imagePath;
            Started = started;
            Stopped = stopped;
            Forwards = forwards;
            ConsolePath = consolePath;
            Accelerator = accelerator;
            BootMode = bootMode;
            CommandLine = commandLine;
            ExitCode = exitCode;
            QemuCommand = qemuCommand;
            Reason = reason;
            FailureId = failureId;
            Engine = engine;
            Connection = connection;
        }

        /// <summary><c>Qemu</c> (QEMU run by OsvPS on this machine) or <c>Libvirt</c>.</summary>
        public string Engine { get; }
        /// <summary>The libvirt connection URI of a Libvirt instance (null for Qemu): cmdlets that take instances from the pipeline bind it.</summary>
        public string? Connection { get; }

        public string Name { get; }
        public InstanceState State { get; }
        /// <summary>The QEMU process id (while it runs, and the last one after).</summary>
        public int? Pid { get; }
        /// <summary>The image's repository name (or its path when run from a file).</summary>
        public string Image { get; }
        public string ImagePath { get; }
        public DateTime? Started { get; }
        public DateTime? Stopped { get; }
        /// <summary>How long it has been running (null when it is not).</summary>
        public TimeSpan? Uptime => State == InstanceState.Running && Started.HasValue ? DateTime.UtcNow - Started.Value : (TimeSpan?)null;
        /// <summary>Port forwards as <c>tcp:HOST:GUEST</c>.</summary>
        public string[] Forwards { get; }
        /// <summary>The serial console's log file.</summary>
        public string ConsolePath { get; }
        public string Accelerator { get; }
        /// <summary><c>Disk</c> or <c>Kernel</c>.</summary>
        public string BootMode { get; }
        /// <summary>The OSv command line the guest was started with.</summary>
        public string CommandLine { get; }
        /// <summary>
        /// The command line the guest was really given: <see cref="CommandLine"/> behind the loader options
        /// every run adds (<c>--power-off-on-abort --verbose</c>).
        /// </summary>
        public string GuestCommandLine { get; }
        /// <summary>
        /// The guest program's exit status (what main returned or exit() was given; the first non-zero one
        /// when several programs ran), once the instance has ended and the status is known.
        /// </summary>
        public int? ExitCode { get; }
        /// <summary>The program and arguments QEMU was started with, exactly as passed.</summary>
        public string[] QemuCommand { get; }
        /// <summary>When <see cref="State"/> is Failed or Crashed: OSv's (or QEMU's) line that says why (e.g. <c>Failed to load object: /x. Powering off.</c>).</summary>
        public string? Reason { get; }
        /// <summary>When Failed or Crashed: the error id of that kind of failure (<c>GuestProgramFailed</c>, <c>GuestProgramNotFound</c>, <c>QemuCrashed</c>, ...).</summary>
        public string? FailureId { get; }
        /// <summary>The instance folder.</summary>
        public string Path { get; }

        public override string ToString() => Name;
    }
}
