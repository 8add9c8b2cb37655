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
            return NameCompletion.Matching(wordToComplete, new CapstanRepository().GetImages(), i => i.Name, i => $"{i.Format} {i.Path}");
        }
    }
}
