using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Downloads an OSv loader (and its kernel ELF) from OSv's releases into the repository.
    /// </summary>
    [Cmdlet(VerbsData.Save, "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvImage))]
    public sealed class SaveOsvImageCommand : OsvCmdlet
    {
        /// <summary>The repository name to save it as (default osv-loader).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "osv-loader";

        /// <summary>A release tag, or 'latest' (default).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Version { get; set; } = "latest";

        [Parameter]
        [ValidateSet("default", "hidden", "microvm", "with-zfs", IgnoreCase = true)]
        public string Variant { get; set; } = "default";

        /// <summary>The releases API address (default: $env:OSVPS_RELEASE_SOURCE, config.yaml, else OSv's GitHub releases).</summary>
        [Parameter]
        public string? Source { get; set; }

        /// <summary>Download again even when that release is already here.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            ForItem(Name, () =>
            {
                if (!ShouldProcess(Name, $"Download the {Variant} OSv loader ({Version})"))
                {
                    return;
                }
                using (var source = OpenReleaseSource(repository, Source))
                {
                    var image = new RemoteCatalog(repository, source).SaveImage(Name, Version, Variant.ToLowerInvariant(), Force, DownloadProgressReporter(), CancellationToken);
                    WriteObject(image);
                }
            });
        }
    }
}
