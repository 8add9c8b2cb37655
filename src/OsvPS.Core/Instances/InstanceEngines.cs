using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances.Libvirt;
using OsvPS.Core.Instances.Qemu;
using OsvPS.Core.Libvirt;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// The one registry of engines, keyed by the scheme of the connection URI: none (null or empty) is QEMU
    /// run on this machine; <c>qemu</c> is a libvirt host, whose transports (<c>qemu+ssh</c>, <c>qemu+tls</c>, ...)
    /// are looked up under the driver before the '+', as libvirt writes them. A new engine is one line here.
    /// </summary>
    public static class InstanceEngines
    {
        private static readonly Dictionary<string, IInstanceEngineFactory> factories = new Dictionary<string, IInstanceEngineFactory>(StringComparer.Ordinal);

        static InstanceEngines()
        {
            Register("", new QemuEngineFactory());
            Register("qemu", new LibvirtEngineFactory());
        }

        /// <summary>Makes <paramref name="factory"/> the engine of connections whose scheme is <paramref name="scheme"/> ("" for none).</summary>
        internal static void Register(string scheme, IInstanceEngineFactory factory)
        {
            lock (factories)
            {
                factories[scheme] = factory;
            }
        }

        /// <summary>The engine for <paramref name="connection"/>; a connection of no registered scheme is refused.</summary>
        public static IInstanceEngine Open(string? connection, CapstanRepository repository) => For(connection).Open(connection, repository);

        /// <summary>
        /// The checks of a whole start call on <paramref name="connection"/>, made once before its first item:
        /// the engine refuses options it does not use (see <see cref="IInstanceEngineFactory.CheckCall"/>). A
        /// connection that names no engine is left to <see cref="Open"/>, which makes it each item's error.
        /// </summary>
        public static void CheckCall(string? connection, EngineOptions options)
        {
            IInstanceEngineFactory factory;
            try
            {
                factory = For(connection);
            }
            catch (OsvException)
            {
                return;
            }
            factory.CheckCall(connection, options);
        }

        private static IInstanceEngineFactory For(string? connection)
        {
            string scheme = Scheme(connection);
            lock (factories)
            {
                if (factories.TryGetValue(scheme, out var factory) || factories.TryGetValue(scheme.Split('+')[0], out factory))
                {
                    return factory;
                }
                string known = string.Join(", ", factories.Keys.Where(k => k.Length > 0).OrderBy(k => k, StringComparer.Ordinal).Select(k => k + "://"));
                throw new OsvException(ErrorIds.ConnectionNotSupported, OsvErrorKind.InvalidArgument,
                    $"'{connection}' is refused: no engine runs instances on connections of scheme '{scheme}' (OsvPS runs instances on {known} connections, and on this machine without one). See Get-Help about_OsvPS_Libvirt.", connection);
            }
        }

        // "" for no connection; else the URI's scheme, as libvirt's URIs write it (the one check of a URI's shape).
        private static string Scheme(string? connection) => string.IsNullOrEmpty(connection) ? "" : LibvirtUri.Scheme(connection);
    }
}
