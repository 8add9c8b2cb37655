using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>The engine options QEMU on this machine takes: <c>-QemuPath</c>, the program to run (default: found as <see cref="QemuInstallation"/> says).</summary>
    internal sealed class QemuEngineOptions
    {
        public const string QemuPathOption = "QemuPath";

        private QemuEngineOptions(string? qemuPath) => QemuPath = qemuPath;

        public string? QemuPath { get; }

        /// <summary>Reads the options this engine knows; any other is refused (EngineOptionNotSupported).</summary>
        public static QemuEngineOptions From(EngineOptions options)
        {
            options.RefuseAllBut("on this machine (without -Connection)", QemuPathOption);
            return new QemuEngineOptions(options[QemuPathOption]);
        }
    }

    /// <summary>A start planned for QEMU on this machine: the shared plan, and the QEMU and accelerator chosen for it.</summary>
    internal sealed class QemuStartPlan : StartPlan
    {
        public QemuStartPlan(StartPlan shared, string qemu, AcceleratorChoice accelerator)
            : base(shared)
        {
            Qemu = qemu;
            AcceleratorChoice = accelerator;
            Accelerator = accelerator.Accelerator;
            if (accelerator.Warn)
            {
                WarnOncePerSession(accelerator.Reason + ".");
            }
        }

        /// <summary>The QEMU program.</summary>
        public string Qemu { get; }
        /// <summary>KVM or TCG, and why.</summary>
        public AcceleratorChoice AcceleratorChoice { get; }
    }

    /// <summary>Registered for no connection: QEMU run by OsvPS on this machine.</summary>
    internal sealed class QemuEngineFactory : IInstanceEngineFactory
    {
        public IInstanceEngine Open(string? connection, CapstanRepository repository) => new QemuEngine(repository);

        /// <summary>QEMU must be there to run instances here: without it the whole call fails, not each item.</summary>
        public void CheckCall(string? connection, EngineOptions options) => QemuInstallation.FindEmulator(QemuEngineOptions.From(options).QemuPath);
    }
}
