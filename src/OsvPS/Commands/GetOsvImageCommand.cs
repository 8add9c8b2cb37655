using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists the images of the repository (OsvPS's and Capstan's).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvImage")]
    [OutputType(typeof(OsvImage))]
    public sealed class GetOsvImageCommand : OsvCmdlet
    {
        /// <summary>Image names; wildcards allowed (default: all).</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        public string[]? Name { get; set; }

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            foreach (string name in Name ?? new[] { "*" })
            {
                WriteObject(MatchImages(repository, name), enumerateCollection: true);
            }
        }
    }
}
