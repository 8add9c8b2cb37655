using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using System.Threading.Tasks;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Completers
{
    /// <summary>
    /// Completes instance names: this machine's, or with -Connection that host's (given two seconds:
    /// a slow or unreachable host completes nothing rather than hanging the prompt).
    /// </summary>
    public sealed class InstanceNameCompleter : IArgumentCompleter
    {
        private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string? connection = fakeBoundParameters?["Connection"] as string;
            var listing = Task.Run(() =>
            {
                using (var engine = InstanceEngines.Open(connection, new CapstanRepository()))
                {
                    return engine.List(CancellationToken.None).ToList();
                }
            });
            List<OsvInstance> instances;
            try
            {
                instances = listing.Wait(Budget) ? listing.Result : new List<OsvInstance>();
            }
            catch (AggregateException)
            {
                instances = new List<OsvInstance>();
            }
            // Stop-OsvInstance and Wait-OsvInstance act on running instances: only those are offered there.
            if (string.Equals(commandName, "Stop-OsvInstance", StringComparison.OrdinalIgnoreCase) || string.Equals(commandName, "Wait-OsvInstance", StringComparison.OrdinalIgnoreCase))
            {
                instances = instances.Where(i => i.State == InstanceState.Running).ToList();
            }
            return NameCompletion.Matching(wordToComplete, instances, i => i.Name, i => $"{i.State} {i.Image}");
        }
    }
}
