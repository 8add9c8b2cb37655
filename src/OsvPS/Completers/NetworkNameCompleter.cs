using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using OsvPS.Core.Networks;
using OsvPS.Core.Repository;

namespace OsvPS.Completers
{
    /// <summary>
    /// Completes network names (New/Get/Remove-OsvNetwork); for Start-OsvInstance -Network, the networking modes
    /// (User, None, Bridge, Tap) come first, then the repository's networks.
    /// </summary>
    public sealed class NetworkNameCompleter : IArgumentCompleter
    {
        private static readonly string[] Modes = { "User", "None", "Bridge", "Tap" };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IReadOnlyList<string> names;
            try
            {
                names = new LocalNetworks(new CapstanRepository().Root).Names();
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
            {
                names = new string[0];
            }
            var items = string.Equals(parameterName, "Network", StringComparison.OrdinalIgnoreCase)
                ? Modes.Select(m => (Name: m, Tip: "networking mode")).Concat(names.Select(n => (Name: n, Tip: "OsvPS network")))
                : names.Select(n => (Name: n, Tip: "OsvPS network"));
            return NameCompletion.Matching(wordToComplete, items, i => i.Name, i => i.Tip);
        }
    }
}
