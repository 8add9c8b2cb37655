using OsvPS.Core.Repository;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Instances
{
    /// <summary>Chooses the engine a connection names.</summary>
    public static class InstanceEngines
    {
        /// <summary>
        /// The engine for <paramref name="connection"/>: none (null or empty) is QEMU run here; a libvirt URI
        /// (<c>qemu:///system</c>, <c>qemu+ssh://host/system</c>) is that libvirt host. Another engine
        /// would be recognised here by its own URI scheme.
        /// </summary>
        public static IInstanceEngine Open(string? connection, CapstanRepository repository)
            => string.IsNullOrEmpty(connection) ? new QemuEngine(repository) : (IInstanceEngine)new LibvirtEngine(connection!, repository);

        /// <summary>
        /// The checks of a whole start call, made once before its first item: QEMU must be there to run
        /// instances here; a libvirt host chooses its own QEMU, so <paramref name="qemuPath"/> is refused there.
        /// </summary>
        public static void CheckCall(string? connection, string? qemuPath)
        {
            if (string.IsNullOrEmpty(connection))
            {
                Qemu.QemuInstallation.FindEmulator(qemuPath);
            }
            else if (qemuPath != null)
            {
                throw new Errors.OsvException(ErrorIds.LibvirtNotSupported, Errors.OsvErrorKind.InvalidArgument,
                    "-QemuPath is not available with -Connection: the libvirt host chooses its own QEMU.", qemuPath);
            }
        }
    }
}
