using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using OsvPS.Core.Repository;

namespace OsvPS.Completers
{
    /// <summary>Completes image names from the repository.</summary>
    public sealed class ImageNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string prefix = (wordToComplete ?? "").Trim('\'', '"');
            WildcardPattern pattern;
            try
            {
                pattern = OsvCmdlet.NamePattern(prefix + "*");
            }
            catch (OsvPS.Core.Errors.OsvException)
            {
                return new CompletionResult[0]; // half a pattern ('a[') completes to nothing
            }
            return new CapstanRepository().GetImages()
                .Where(i => pattern.IsMatch(i.Name))
                .Select(i => new CompletionResult(i.Name, i.Name, CompletionResultType.ParameterValue, $"{i.Format} {i.Path}"))
                .ToList();
        }
    }
}
