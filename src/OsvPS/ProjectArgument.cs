using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;

namespace OsvPS
{
    /// <summary>What a <c>-Project</c> argument names: an OsvProject, a folder, or (none given) the current folder.</summary>
    internal static class ProjectArgument
    {
        public static string Resolve(PSCmdlet cmdlet, object? project)
        {
            object? value = project is PSObject wrapped ? wrapped.BaseObject : project;
            var paths = cmdlet.SessionState.Path;
            string folder = value is OsvProject osv ? osv.Path
                : value == null ? paths.CurrentFileSystemLocation.ProviderPath
                : paths.GetUnresolvedProviderPathFromPSPath(LanguagePrimitives.ConvertTo<string>(value));
            return ProjectStore.IsProject(folder) ? folder : throw new OsvException(ErrorIds.ProjectNotFound, OsvErrorKind.ObjectNotFound,
                $"'{folder}' is not a project (no meta/package.yaml or meta/run.yaml); create one with New-OsvProject or name one with -Project.", folder);
        }
    }
}
