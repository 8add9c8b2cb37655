using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;

namespace OsvPS.Commands
{
    /// <summary>
    /// Reads OSv projects (OsvPS's or Capstan's): package, runtime and config sets.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvProject", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(OsvProject))]
    public sealed class GetOsvProjectCommand : OsvCmdlet
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        /// <summary>Project folders; wildcards allowed. Default: the current folder.</summary>
        [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = { "." };

        /// <summary>Project folders, taken as written.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        protected override void ProcessRecord()
        {
            foreach (string path in ParameterSetName == LiteralPathSet ? LiteralPath : Path)
            {
                foreach (string resolved in Resolve(path))
                {
                    ForItem(resolved, () => WriteObject(ProjectStore.Load(resolved)));
                }
            }
        }

        private string[] Resolve(string path)
        {
            if (ParameterSetName == LiteralPathSet)
            {
                return new[] { SessionState.Path.GetUnresolvedProviderPathFromPSPath(path) };
            }
            try
            {
                return GetResolvedProviderPathFromPSPath(path, out _).ToArray();
            }
            catch (ItemNotFoundException e)
            {
                WriteFailure(new OsvException(ErrorIds.ProjectNotFound, OsvErrorKind.ObjectNotFound, e.Message, path, e), path);
                return new string[0];
            }
        }
    }
}
