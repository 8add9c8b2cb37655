using System.Collections.Generic;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances
{
    /// <summary>What Start-OsvInstance was asked for, whatever engine runs it.</summary>
    public sealed class StartRequest
    {
        /// <summary>The image file to run.</summary>
        public string ImagePath { get; set; } = "";
        /// <summary>How the image is called (its repository name, or its path).</summary>
        public string ImageName { get; set; } = "";
        /// <summary>The instance name; null for the image's name.</summary>
        public string? Name { get; set; }
        public IReadOnlyList<string>? Boot { get; set; }
        public IReadOnlyDictionary<string, string>? Env { get; set; }
        public string? CommandLine { get; set; }
        public MachineOptions Machine { get; set; } = new MachineOptions();
        public Accelerator Accelerator { get; set; } = Accelerator.Auto;
        public BootMode BootMode { get; set; } = BootMode.Auto;
        /// <summary>Options only some engines use (-QemuPath, -StoragePool): the engine reads the ones it knows and refuses the rest.</summary>
        public EngineOptions EngineOptions { get; set; } = new EngineOptions();
        /// <summary>The caller waits for the guest: QEMU dies with the caller.</summary>
        public bool Attached { get; set; }

        /// <summary>True when the run chooses its own command line (-Boot, -Env or -CommandLine).</summary>
        public bool RewritesCommandLine => Boot?.Count > 0 || Env?.Count > 0 || !string.IsNullOrEmpty(CommandLine);
    }
}
