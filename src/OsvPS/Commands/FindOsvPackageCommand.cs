using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Searches the release source for packages.
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
            => ForItem(Name, () => WriteObject(RemoteCatalog.FindPackages(new CapstanRepository(), Source, Version, Names.Pattern(Name).IsMatch, CancellationToken), enumerateCollection: true));
    }
}
