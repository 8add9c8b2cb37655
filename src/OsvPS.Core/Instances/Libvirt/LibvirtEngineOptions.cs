using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances.Libvirt
{
    /// <summary>The engine options a libvirt connection takes: <c>-StoragePool</c>, the pool that holds the image and the overlay (default <c>default</c>).</summary>
    internal sealed class LibvirtEngineOptions
    {
        public const string StoragePoolOption = "StoragePool";
        private const string QemuPathOption = "QemuPath";

        private LibvirtEngineOptions(string storagePool) => StoragePool = storagePool;

        public string StoragePool { get; }

        /// <summary>
        /// Reads the options this engine knows; -QemuPath is refused as it always was (LibvirtNotSupported: the host
        /// chooses its own QEMU), any other unknown one with EngineOptionNotSupported.
        /// </summary>
        public static LibvirtEngineOptions From(EngineOptions options, string? connection)
        {
            if (options[QemuPathOption] is string qemuPath)
            {
                throw new OsvException(ErrorIds.LibvirtNotSupported, OsvErrorKind.InvalidArgument,
                    "-QemuPath is not available with -Connection: the libvirt host chooses its own QEMU.", qemuPath);
            }
            options.RefuseAllBut("on " + connection, StoragePoolOption);
            return new LibvirtEngineOptions(options[StoragePoolOption] ?? "default");
        }

        /// <summary>A pool name libvirt takes, and nothing that reads as a path.</summary>
        public static void ValidatePool(string pool)
        {
            if (pool.Length == 0 || pool.Length > 64 || pool[0] == '.' || !pool.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '-' || c == '.')))
            {
                throw new OsvException(ErrorIds.StoragePoolInvalid, OsvErrorKind.InvalidArgument,
                    $"'{pool}' is not a storage pool name: use up to 64 letters, digits, '.', '_' and '-'.", pool);
            }
        }
    }

    /// <summary>A start planned for a libvirt connection: the shared plan, and the storage pool it uses.</summary>
    internal sealed class LibvirtStartPlan : StartPlan
    {
        public LibvirtStartPlan(StartPlan shared, string storagePool)
            : base(shared) => StoragePool = storagePool;

        public string StoragePool { get; }

        /// <summary>On a libvirt network: the MAC address of the instance's NIC, set when the start joins it.</summary>
        public string? NetworkMac { get; set; }

        /// <summary>On a libvirt network: the address the start took for the instance (its DNS host record).</summary>
        public string? NetworkAddress { get; set; }
    }

    /// <summary>Registered for <c>qemu</c> URIs (and their transports): a libvirt host's QEMU driver.</summary>
    internal sealed class LibvirtEngineFactory : IInstanceEngineFactory
    {
        public IInstanceEngine Open(string? connection, CapstanRepository repository) => new LibvirtEngine(connection!, repository);

        /// <summary>The host chooses its own QEMU, so nothing is looked for here; only the options are read.</summary>
        public void CheckCall(string? connection, EngineOptions options) => LibvirtEngineOptions.From(options, connection);
    }
}
