using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists the OSv loaders releases offer (variants, sizes, kernels).
    /// </summary>
    [Cmdlet(VerbsCommon.Find, "OsvImage")]
    [OutputType(typeof(OsvRemoteImage))]
    public sealed class FindOsvImageCommand : OsvCmdlet
    {
        /// <summary>A release tag, 'latest' (default), or '*' for every release.</summary>
        [Parameter(Position = 0)]
        public string Version { get; set; } = "latest";

        [Parameter]
        [ValidateSet("*", "default", "hidden", "microvm", "with-zfs", IgnoreCase = true)]
        public string Variant { get; set; } = "*";

        [Parameter]
        public string? Source { get; set; }

        protected override void EndProcessing()
        {
            var repository = new CapstanRepository();
            ForItem(Version, () =>
            {
                using (var source = OpenReleaseSource(repository, Source))
                {
                    var catalog = new RemoteCatalog(repository, source);
                    WriteObject(source.Select(Version, CancellationToken).SelectMany(catalog.FindImages).Where(i => Variant == "*" || i.Variant == Variant.ToLowerInvariant()), enumerateCollection: true);
                }
            });
        }
    }
}
