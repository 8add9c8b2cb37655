using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using OsvPS.Core.Debian;

namespace OsvPS.Completers
{
    /// <summary>Completes -Name of Add-OsvDebianPackage with the packages dpkg has installed (under -Root when given).</summary>
    public sealed class DebianPackageCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string prefix = NameCompletion.Prefix(wordToComplete);
            try
            {
                string root = fakeBoundParameters.Contains("Root") ? LanguagePrimitives.ConvertTo<string>(fakeBoundParameters["Root"]) : "/";
                return DpkgDatabase.Open(new Sysroot(root)).Packages.Where(p => p.IsInstalled && p.Name.StartsWith(prefix, System.StringComparison.Ordinal))
                    .Select(p => p.Name).Distinct().OrderBy(n => n, System.StringComparer.Ordinal)
                    .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n)).ToList();
            }
            catch (System.Exception)
            {
                // Completion must never fail loudly; no suggestions is the honest answer.
                return new CompletionResult[0];
            }
        }
    }
}
