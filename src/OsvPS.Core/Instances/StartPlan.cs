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
            Host = shared.Host;
            Accelerator = shared.Accelerator;
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
        /// <summary>True when the guest's command line is written into the overlay (a disk boot of a raw or qcow2 image).</summary>
        public bool RewriteDisk { get; }
        /// <summary>The config sets the image holds (its <c>/run</c> files).</summary>
        public IReadOnlyList<string> ConfigSets { get; }
        public string BootModeName => Kernel == null ? "Disk" : "Kernel";

        /// <summary>
        /// What the guest is really given: <see cref="CommandLine"/> behind the loader options every run
        /// gets (see <see cref="GuestCommandLines"/>). Empty when the image's own line cannot be replaced.
        /// </summary>
        public string GuestCommandLine => GuestCommandLines.For(CommandLine, verbose: KernelLog == null);

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
