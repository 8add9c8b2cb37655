using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// The options of a start that only some engines use (-QemuPath, -StoragePool), under the name of the
    /// cmdlet parameter that gave them. The shared request carries them unread; each engine takes the
    /// ones it knows into its own options type and refuses the rest.
    /// </summary>
    public sealed class EngineOptions
    {
        private readonly Dictionary<string, string> values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Sets <paramref name="name"/> (a parameter name without its dash); null leaves it out.</summary>
        public EngineOptions Set(string name, string? value)
        {
            if (value == null)
            {
                values.Remove(name);
            }
            else
            {
                values[name] = value;
            }
            return this;
        }

        /// <summary>The options given, by name, in ordinal order.</summary>
        public IReadOnlyList<string> Names => values.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();

        internal string? this[string name] => values.TryGetValue(name, out string? value) ? value : null;

        /// <summary>
        /// Refuses the first option not among <paramref name="known"/>: an engine that runs instances
        /// <paramref name="where"/> (<c>on this machine</c>, <c>on qemu:///system</c>) has no use for it.
        /// </summary>
        internal void RefuseAllBut(string where, params string[] known)
        {
            foreach (string name in Names.Where(n => !known.Contains(n, StringComparer.OrdinalIgnoreCase)))
            {
                string takes = known.Length == 0 ? "takes none" : "takes " + string.Join(", ", known.Select(k => "-" + k));
                throw new OsvException(ErrorIds.EngineOptionNotSupported, OsvErrorKind.InvalidArgument,
                    $"-{name} is not available for instances {where}: their engine {takes}.", values[name]);
            }
        }
    }
}
