using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using OsvPS.Core.Repository;

namespace OsvPS.Completers
{
    /// <summary>Completes the names of the packages in the repository.</summary>
    public sealed class PackageNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            return NameCompletion.Matching(wordToComplete, LocalPackages.List(new CapstanRepository()), p => p.Name, p => $"{p.Version} {p.Title}".Trim());
        }
    }
}
