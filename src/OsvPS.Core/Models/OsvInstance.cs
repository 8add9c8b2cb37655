using System;

namespace OsvPS.Core.Models
{
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
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

    /// <summary>
    /// One instance of an image, whatever engine runs it: the same object from every engine, made from the
    /// facts every engine records (<see cref="InstanceFacts"/>), the engine's name and connection, and the
    /// process on this machine that runs the guest when the engine runs one here.
    /// </summary>
    public sealed class OsvInstance
    {
        private readonly InstanceFacts facts;
        private readonly InstanceProcess? process;

        internal OsvInstance(string engine, string? connection, InstanceFacts facts, InstanceProcess? process)
        {
            Engine = engine;
            Connection = connection;
            this.facts = facts;
            this.process = process;
        }

        /// <summary>The engine that runs it: <c>Qemu</c> (QEMU run by OsvPS on this machine) or <c>Libvirt</c>.</summary>
        public string Engine { get; }
        /// <summary>The connection URI of an instance that is not this machine's (null for Qemu): cmdlets that take instances from the pipeline bind it.</summary>
        public string? Connection { get; }

        public string Name => facts.Name;
        public InstanceState State => facts.State;
        /// <summary>The id of the process on this machine that runs the guest (QEMU; while it runs, and the last one after); null when the engine runs none here.</summary>
        public int? Pid => process?.Id;
        /// <summary>The image's repository name (or its path when run from a file).</summary>
        public string Image => facts.Image;
        public string ImagePath => facts.ImagePath;
        public DateTime? Started => facts.Started;
        public DateTime? Stopped => facts.Stopped;
        /// <summary>How long it has been running (null when it is not).</summary>
        public TimeSpan? Uptime => State == InstanceState.Running && Started.HasValue ? DateTime.UtcNow - Started.Value : (TimeSpan?)null;
        /// <summary>Port forwards as <c>tcp:HOST:GUEST</c>.</summary>
        public TextList Forwards => TextList.Of(facts.Forwards);
        /// <summary>The instance's network: <c>User</c>, <c>None</c>, <c>Bridge</c>, <c>Tap</c>, or the name of an OsvPS network.</summary>
        public string Network => facts.Network;
        /// <summary>
        /// The guest's addresses in its last run: on an OsvPS network, the one OsvPS gave it there; otherwise those OSv
        /// printed on its console as it configured its NICs (<c>eth0: 192.168.122.15</c>).
        /// </summary>
        public TextList IPAddress => TextList.Of(facts.IPAddresses);
        /// <summary>The serial console's log file (a local copy when the guest runs elsewhere).</summary>
        public string ConsolePath => facts.ConsolePath;
        public string Accelerator => facts.Accelerator;
        /// <summary><c>Disk</c> or <c>Kernel</c>.</summary>
        public string BootMode => facts.BootMode;
        /// <summary>The OSv command line the guest was started with.</summary>
        public string CommandLine => facts.CommandLine;
        /// <summary>
        /// The command line the guest was really given: <see cref="CommandLine"/> behind the loader options
        /// every run adds (<c>--power-off-on-abort --verbose</c>).
        /// </summary>
        public string GuestCommandLine => facts.GuestCommandLine ?? facts.CommandLine;
        /// <summary>
        /// The guest program's exit status (what main returned or exit() was given; the first non-zero one
        /// when several programs ran), once the instance has ended and the status is known.
        /// </summary>
        public int? ExitCode => facts.ExitCode;
        /// <summary>The program and arguments the process of <see cref="Pid"/> (QEMU) was started with, exactly as passed; empty when the engine runs none here.</summary>
        public TextList QemuCommand => TextList.Command(process?.Command);
        /// <summary>When <see cref="State"/> is Failed or Crashed: OSv's (or QEMU's) line that says why (e.g. <c>Failed to load object: /x. Powering off.</c>).</summary>
        public string? Reason => facts.Reason;
        /// <summary>When Failed or Crashed: the error id of that kind of failure (<c>GuestProgramFailed</c>, <c>GuestProgramNotFound</c>, <c>QemuCrashed</c>, ...).</summary>
        public string? FailureId => facts.FailureId;
        /// <summary>The instance folder (Qemu), or what the engine calls the instance (a libvirt domain).</summary>
        public string Path => facts.Path;

        public override string ToString() => Name;
    }

    /// <summary>What every engine records about an instance; an engine fills one and describes the instance from it.</summary>
    internal sealed class InstanceFacts
    {
        public string Name { get; set; } = "";
        public string Path { get; set; } = "";
        public InstanceState State { get; set; }
        public string Image { get; set; } = "";
        public string ImagePath { get; set; } = "";
        public DateTime? Started { get; set; }
        public DateTime? Stopped { get; set; }
        public string[] Forwards { get; set; } = new string[0];
        public string Network { get; set; } = "User";
        public string[] IPAddresses { get; set; } = new string[0];
        public string ConsolePath { get; set; } = "";
        public string Accelerator { get; set; } = "";
        public string BootMode { get; set; } = "";
        public string CommandLine { get; set; } = "";
        /// <summary>Null when it is <see cref="CommandLine"/> itself.</summary>
        public string? GuestCommandLine { get; set; }
        public int? ExitCode { get; set; }
        public string? Reason { get; set; }
        public string? FailureId { get; set; }
    }

    /// <summary>The process on this machine that runs a guest, for engines that run one here.</summary>
    internal sealed class InstanceProcess
    {
        public InstanceProcess(int? id, string[] command)
        {
            Id = id;
            Command = command;
        }

        public int? Id { get; }
        public string[] Command { get; }
    }
}
