using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Downloads packages (.mpm and .yaml) from OSv's releases into the repository's packages folder.
    /// </summary>
    [Cmdlet(VerbsData.Save, "OsvPackage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvPackage))]
    public sealed class SaveOsvPackageCommand : OsvCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = new string[0];

        /// <summary>A release tag, or 'latest' (default).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Version { get; set; } = "latest";

        [Parameter]
        public string? Source { get; set; }

        /// <summary>Download again even when the package is here.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            using (var source = Releases.Open(repository, Source))
            {
                var catalog = new RemoteCatalog(repository, source);
                foreach (string name in Name)
                {
                    ForItem(name, () =>
                    {
                        if (ShouldProcess(name, $"Download package ({Version})"))
                        {
                            WriteObject(catalog.SavePackage(name, Version, Force, Releases.DownloadProgress(this), CancellationToken));
                        }
                    });
                }
            }
        }
    }
}
