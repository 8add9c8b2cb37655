using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// <para type="synopsis">Searches the release source for packages.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Find, "OsvPackage")]
    [OutputType(typeof(OsvPackage))]
    public sealed class FindOsvPackageCommand : OsvCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string Name { get; set; } = "*";

        /// <summary>A release tag, 'latest' (default), or '*' for every release.</summary>
        [Parameter]
        public string Version { get; set; } = "latest";

        [Parameter]
        public string? Source { get; set; }

        protected override void EndProcessing()
        {
            var repository = new CapstanRepository();
            var pattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
            ForItem(Name, () =>
            {
                using (var source = OpenReleaseSource(repository, Source))
                {
                    var catalog = new RemoteCatalog(repository, source);
                    WriteObject(source.Select(Version, CancellationToken).SelectMany(catalog.FindPackages).Where(p => pattern.IsMatch(p.Name)), enumerateCollection: true);
                }
            });
        }
    }
}
