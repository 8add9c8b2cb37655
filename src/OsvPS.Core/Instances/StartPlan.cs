using System.Collections.Generic;
using OsvPS.Core.Disk;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances
{
    /// <summary>A checked start: everything decided, nothing started yet. -WhatIf and -Verbose read it.</summary>
    public sealed class StartPlan
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
        /// <summary>The QEMU program (this machine's engine), or null where the host chooses its own.</summary>
        public string? Qemu { get; internal set; }
        /// <summary>What the user should hear before the start (the engine adds them while it plans).</summary>
        public IReadOnlyList<string> Warnings => warnings;
        private readonly List<string> warnings = new List<string>();
        internal void Warn(string warning) => warnings.Add(warning);

        /// <summary>KVM or TCG, and why.</summary>
        public AcceleratorChoice Accelerator { get; internal set; } = new AcceleratorChoice(OsvPS.Core.Qemu.Accelerator.Tcg, "", false);
    }
}
