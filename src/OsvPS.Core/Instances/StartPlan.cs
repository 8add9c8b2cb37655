using System.Collections.Generic;
using OsvPS.Core.Disk;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// A checked start: everything decided, nothing started yet. -WhatIf and -Verbose read it. What every
    /// engine decides is here; an engine keeps what is its own alone (the QEMU program, a storage pool) in a
    /// plan of its own type, made from this one.
    /// </summary>
    public class StartPlan
    {
        internal StartPlan(StartRequest request, string name, DiskFormat imageFormat, string? kernel, string commandLine,
            bool rewriteDisk, IReadOnlyList<string> configSets)
        {
            Request = request;
            Name = name;
            ImageFormat = imageFormat;
            Kernel = kernel;
            CommandLine = commandLine;
            RewriteDisk = rewriteDisk;
            ConfigSets = configSets;
        }

        /// <summary>An engine's own plan, from the shared one its planning began with.</summary>
        internal StartPlan(StartPlan shared)
            : this(shared.Request, shared.Name, shared.ImageFormat, shared.Kernel, shared.CommandLine, shared.RewriteDisk, shared.ConfigSets)
        {
            KernelLog = shared.KernelLog;
            ShownCommandLine = shared.ShownCommandLine;
            StaysUp = shared.StaysUp;
            Host = shared.Host;
            Accelerator = shared.Accelerator;
            NetworkOptions = shared.NetworkOptions;
            warnings.AddRange(shared.warnings);
            sessionWarnings.AddRange(shared.sessionWarnings);
        }

        public StartRequest Request { get; }
        public string Name { get; }
        public DiskFormat ImageFormat { get; }
        /// <summary>The kernel ELF booted directly, or null for a disk boot.</summary>
        public string? Kernel { get; }
        /// <summary>The command line the instance runs (the image's, or the one chosen for this run).</summary>
        public string CommandLine { get; }
        /// <summary>
        /// <see cref="CommandLine"/> with each -Env value hidden: what an engine writes where others may read it (a libvirt
        /// domain's XML, which a read-only connection shows to every local user).
        /// </summary>
        internal string ShownCommandLine { get; set; } = "";

        /// <summary>True when the guest's command line is written into the overlay (a disk boot of a raw or qcow2 image).</summary>
        public bool RewriteDisk { get; }
        /// <summary>The config sets the image holds (its <c>/run</c> files).</summary>
        public IReadOnlyList<string> ConfigSets { get; }
        public string BootModeName => Kernel == null ? "Disk" : "Kernel";

        /// <summary>
        /// What the guest is really given: <see cref="CommandLine"/> behind the loader options every run
        /// gets (see <see cref="GuestCommandLines"/>). Empty when the image's own line cannot be replaced.
        /// </summary>
        public string GuestCommandLine => GuestLineOf(CommandLine);

        /// <summary><see cref="GuestCommandLine"/> with each -Env value hidden (see <see cref="ShownCommandLine"/>).</summary>
        internal string ShownGuestCommandLine => GuestLineOf(ShownCommandLine);

        private string GuestLineOf(string commandLine) => GuestCommandLines.For(commandLine, verbose: KernelLog == null, staysUp: KernelLog != null && StaysUp, network: NetworkOptions);

        /// <summary>The loader options of the instance's OsvPS network (its address, gateway and name server), once it holds one.</summary>
        internal string? NetworkOptions { get; set; }

        /// <summary>
        /// True when the guest stays up once its programs return, so the engine reads the kernel log from the running guest
        /// (libvirt, whose QEMU driver discards a powered-off guest's memory at once).
        /// </summary>
        internal bool StaysUp { get; set; }

        /// <summary>Where the engine reads OSv's kernel log after the run (the exit status, an orderly end); null when it reads the console.</summary>
        internal KernelLogSymbols? KernelLog { get; set; }

        /// <summary>Where the instance runs, for messages: <c>this machine</c> or a libvirt URI.</summary>
        public string Host { get; internal set; } = "this machine";
        /// <summary>What the user should hear before the start (the engine adds them while it plans).</summary>
        public IReadOnlyList<string> Warnings => warnings;
        private readonly List<string> warnings = new List<string>();
        internal void Warn(string warning) => warnings.Add(warning);

        /// <summary>Warnings the user needs to hear once a session, not once a start (TCG chosen instead of KVM).</summary>
        public IReadOnlyList<string> SessionWarnings => sessionWarnings;
        private readonly List<string> sessionWarnings = new List<string>();
        internal void WarnOncePerSession(string warning) => sessionWarnings.Add(warning);

        /// <summary>KVM or TCG: what the guest runs on.</summary>
        public Accelerator Accelerator { get; internal set; } = Accelerator.Tcg;
    }
}
