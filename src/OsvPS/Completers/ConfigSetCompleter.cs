using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;

namespace OsvPS.Completers
{
    /// <summary>
    /// Completes -Boot with the config sets there are: the image's (Start-OsvInstance -Image) or the
    /// project's (Build-OsvImage -Project).
    /// </summary>
    public sealed class ConfigSetCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string prefix = NameCompletion.Prefix(wordToComplete);
            IEnumerable<string> names;
            try
            {
                names = fakeBoundParameters.Contains("Image") ? ImageSets(fakeBoundParameters["Image"])
                    : ProjectSets(fakeBoundParameters.Contains("Project") ? fakeBoundParameters["Project"] : ".");
            }
            catch (System.Exception)
            {
                // Completion must never fail loudly; no suggestions is the honest answer.
                names = Enumerable.Empty<string>();
            }
            return names.Where(n => n.StartsWith(prefix, System.StringComparison.OrdinalIgnoreCase))
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n)).ToList();
        }

        private static IEnumerable<string> ImageSets(object? image)
        {
            object? value = image is PSObject pso ? pso.BaseObject : image;
            if (value is OsvImage osv)
            {
                return osv.ConfigSets;
            }
            var found = new CapstanRepository().TryGetImage(LanguagePrimitives.ConvertTo<string>(value));
            return found?.ConfigSets ?? (IEnumerable<string>)new string[0];
        }

        // PowerShell's file-system location, asked of the runspace the completion runs in (a nested command
        // on its own thread); the process's folder when that cannot be had.
        private static string CurrentLocation()
        {
            try
            {
                using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
                {
                    var found = ps.AddCommand("Get-Location").AddParameter("PSProvider", "FileSystem").Invoke<PathInfo>();
                    if (found.Count > 0)
                    {
                        return found[0].ProviderPath;
                    }
                }
            }
            catch (System.Exception e) when (e is PSInvalidOperationException || e is System.Management.Automation.Runspaces.InvalidRunspaceStateException || e is RuntimeException)
            {
            }
            return Directory.GetCurrentDirectory();
        }

        private static IEnumerable<string> ProjectSets(object? project)
        {
            object? value = project is PSObject pso ? pso.BaseObject : project;
            // Relative paths are PowerShell's location's, which need not be the process's current folder.
            string here = CurrentLocation();
            string path = value switch
            {
                OsvProject p => p.Path,
                ProjectArgument a => a.Path,
                _ => Path.GetFullPath(Path.Combine(here, LanguagePrimitives.ConvertTo<string>(value))),
            };
            return ProjectStore.Load(path).ConfigSets.Select(c => c.Name);
        }
    }
}
