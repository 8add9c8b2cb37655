using System;
using System.Collections.Generic;
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
    public abstract class InstanceCmdlet : OsvCmdlet
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
        /// its own item: a failure is that instance's error and the others go on.
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
                foreach (var instance in MatchInstances(engine, pattern))
                {
                    ForItem(instance, () => action(engine, instance));
                }
            }
        }

        /// <summary>Instances matching a wildcard <paramref name="pattern"/>; when the engine cannot list them, that is this input's error.</summary>
        protected List<OsvInstance> MatchInstances(IInstanceEngine engine, string pattern)
        {
            IEnumerable<OsvInstance> all;
            try
            {
                all = engine.List(CancellationToken, invalid => WriteFailure(invalid, invalid.Target));
            }
            catch (OsvException e)
            {
                WriteFailure(e, pattern);
                return new List<OsvInstance>();
            }
            string where = engine.Host == "this machine" ? "" : " on " + engine.Host;
            return MatchByName(all, i => i.Name, pattern, ErrorIds.InstanceNotFound, $"there is no instance '{pattern}'{where}.");
        }

        protected override void ReleaseResources() => engines.Dispose();
    }
}
