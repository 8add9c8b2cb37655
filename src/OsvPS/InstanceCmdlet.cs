using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;

namespace OsvPS
{
    /// <summary>
    /// Base of the cmdlets that work on existing instances (Get, Stop, Remove, Wait-OsvInstance and
    /// Get-OsvInstanceLog): the engine a -Connection names, and each instance a name pattern matches,
    /// one pipeline item at a time.
    /// </summary>
    public abstract class InstanceCmdlet : GuestCmdlet
    {
        /// <summary>A libvirt connection URI (qemu:///system, qemu+ssh://host/system); without it, the instances QEMU runs on this machine. Binds from instances in the pipeline.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? Connection { get; set; }

        private readonly EngineCache engines = new EngineCache();

        /// <summary>
        /// The engine of this item's -Connection; one per URI serves the whole call. A connection that
        /// cannot be made is this item's error (null comes back), so the rest of the pipeline goes on.
        /// </summary>
        protected IInstanceEngine? Engine()
        {
            try
            {
                return engines.Open(Connection, new OsvPS.Core.Repository.CapstanRepository());
            }
            catch (OsvException e)
            {
                WriteFailure(e, Connection);
                return null;
            }
        }

        /// <summary>
        /// Runs <paramref name="action"/> for each instance matching each of <paramref name="patterns"/>, each one
        /// its own item: a failure is that instance's error and the others go on. A matching instance whose state
        /// cannot be read is its own error (see <see cref="Damaged"/>); one that does not match is not reported.
        /// </summary>
        protected void ForEachInstance(IEnumerable<string> patterns, Action<IInstanceEngine, OsvInstance> action)
        {
            var engine = Engine();
            if (engine == null)
            {
                return;
            }
            foreach (string pattern in patterns)
            {
                foreach (var match in MatchInstances(engine, pattern))
                {
                    if (match.Instance is OsvInstance instance)
                    {
                        ForItem(instance, () => action(engine, instance));
                    }
                    else
                    {
                        ForItem(match.Name, () => Damaged(engine, match.Damage!));
                    }
                }
            }
        }

        /// <summary>What a cmdlet does with a matching instance whose state cannot be read: by default, report it.</summary>
        protected virtual void Damaged(IInstanceEngine engine, OsvException damage) => WriteFailure(damage, damage.Target);

        /// <summary>An instance the engine listed, or one it could not read (its name and why).</summary>
        private sealed class Listed
        {
            public Listed(string name, OsvInstance? instance, OsvException? damage)
            {
                Name = name;
                Instance = instance;
                Damage = damage;
            }

            public string Name { get; }
            public OsvInstance? Instance { get; }
            public OsvException? Damage { get; }
        }

        // Instances matching a wildcard pattern, the damaged ones among them; when the engine cannot list them, that is this input's error.
        private List<Listed> MatchInstances(IInstanceEngine engine, string pattern)
        {
            var all = new List<Listed>();
            try
            {
                all.AddRange(engine.List(CancellationToken, damage => all.Add(new Listed(damage.Target as string ?? "", null, damage)))
                    .Select(i => new Listed(i.Name, i, null)).ToList());
            }
            catch (OsvException e)
            {
                WriteFailure(e, pattern);
                return new List<Listed>();
            }
            string where = engine.Connection == null ? "" : " on " + engine.Host;
            return MatchByName(all.OrderBy(l => l.Name, StringComparer.Ordinal), l => l.Name, pattern, ErrorIds.InstanceNotFound, $"there is no instance '{pattern}'{where}.");
        }

        protected override void ReleaseResources() => engines.Dispose();
    }
}
