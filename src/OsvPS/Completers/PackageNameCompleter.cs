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
            string prefix = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
            return OsvPS.Core.Repository.LocalPackages.List(new CapstanRepository())
                .Where(p => pattern.IsMatch(p.Name))
                .Select(p => new CompletionResult(p.Name.IndexOf(' ') >= 0 ? "'" + p.Name + "'" : p.Name, p.Name, CompletionResultType.ParameterValue, $"{p.Version} {p.Title}".Trim()))
                .ToList();
        }
    }
}
