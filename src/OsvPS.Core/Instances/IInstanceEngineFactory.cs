using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// Makes the engine of one kind of connection; registered in <see cref="InstanceEngines"/> under the
    /// URI schemes it serves.
    /// </summary>
    internal interface IInstanceEngineFactory
    {
        /// <summary>The engine for <paramref name="connection"/> (null or empty: this machine).</summary>
        IInstanceEngine Open(string? connection, CapstanRepository repository);

        /// <summary>
        /// The checks of a whole start call, made once before its first item and before any connection
        /// is made: the engine options it refuses, and what must be there for any start (QEMU on this machine).
        /// </summary>
        void CheckCall(string? connection, EngineOptions options);
    }
}
