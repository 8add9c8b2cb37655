using System;
using System.Collections.Generic;
using OsvPS.Core.Instances;
using OsvPS.Core.Repository;

namespace OsvPS
{
    /// <summary>
    /// The engines a cmdlet call opens, one per connection for the whole call (a libvirt connection is
    /// made once, not once per item), disposed when the call ends. Every instance cmdlet holds one.
    /// </summary>
    internal sealed class EngineCache : IDisposable
    {
        private readonly Dictionary<string, IInstanceEngine> engines = new Dictionary<string, IInstanceEngine>(StringComparer.Ordinal);

        /// <summary>The engine of <paramref name="connection"/> (null or empty: this machine), opened on first use.</summary>
        public IInstanceEngine Open(string? connection, CapstanRepository repository)
        {
            string key = connection ?? "";
            if (!engines.TryGetValue(key, out var engine))
            {
                engine = InstanceEngines.Open(key, repository);
                engines[key] = engine;
            }
            return engine;
        }

        public void Dispose()
        {
            foreach (var engine in engines.Values)
            {
                engine.Dispose();
            }
            engines.Clear();
        }
    }
}
