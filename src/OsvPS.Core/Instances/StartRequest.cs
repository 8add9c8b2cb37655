using System.Collections.Generic;
using System.Linq;
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

        /// <summary>The same request with another boot mode.</summary>
        internal StartRequest WithBootMode(BootMode mode)
        {
            var copy = (StartRequest)MemberwiseClone();
            copy.BootMode = mode;
            return copy;
        }

        /// <summary>What stands for an -Env value where others may read the command line (a libvirt domain's XML).</summary>
        internal const string HiddenValue = "***";

        /// <summary>The same request with every -Env value replaced by <see cref="HiddenValue"/>.</summary>
        internal StartRequest WithEnvHidden()
        {
            var copy = (StartRequest)MemberwiseClone();
            copy.Env = Env?.ToDictionary(e => e.Key, e => HiddenValue);
            return copy;
        }

        /// <summary>True when the run chooses its own command line (-Boot, -Env or -CommandLine).</summary>
        public bool RewritesCommandLine => Boot?.Count > 0 || Env?.Count > 0 || !string.IsNullOrEmpty(CommandLine);
    }
}
