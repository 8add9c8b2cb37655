using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Oci;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Downloads an OSv loader (and its kernel ELF) from OSv's releases into the repository, or
    /// (with -Reference) pulls an image that Publish-OsvImage pushed to an OCI registry.
    /// </summary>
    [Cmdlet(VerbsData.Save, "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ReleaseSet)]
    [OutputType(typeof(OsvImage))]
    public sealed class SaveOsvImageCommand : RegistryCmdlet
    {
        private const string ReleaseSet = "Release";

        /// <summary>The repository name to save it as (default osv-loader; with -Reference, the repository's last segment).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "osv-loader";

        /// <summary>A release tag, or 'latest' (default).</summary>
        [Parameter(ParameterSetName = ReleaseSet)]
        [ValidateNotNullOrEmpty]
        public string Version { get; set; } = "latest";

        [Parameter(ParameterSetName = ReleaseSet)]
        [ValidateSet("default", "hidden", "microvm", "with-zfs", IgnoreCase = true)]
        public string Variant { get; set; } = "default";

        /// <summary>The releases API address (default: $env:OSVPS_RELEASE_SOURCE, config.yaml, else OSv's GitHub releases).</summary>
        [Parameter(ParameterSetName = ReleaseSet)]
        public string? Source { get; set; }

        /// <summary>registry[:port]/repository[:tag] or registry/repository@sha256:digest of an image Publish-OsvImage pushed.</summary>
        [Parameter(Mandatory = true, ParameterSetName = RegistrySet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Reference { get; set; } = null!;

        /// <summary>Download again even when that release is already here; with -Reference, replace an image of that name.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == RegistrySet)
            {
                ForItem(Reference, Pull);
                return;
            }
            var repository = new CapstanRepository();
            ForItem(Name, () =>
            {
                if (!ShouldProcess(Name, $"Download the {Variant} OSv loader ({Version})"))
                {
                    return;
                }
                using (var source = Releases.Open(repository, Source))
                {
                    var image = new RemoteCatalog(repository, source).SaveImage(Name, Version, Variant.ToLowerInvariant(), Force, Releases.DownloadProgress(this), CancellationToken);
                    WriteObject(image);
                }
            });
        }

        private void Pull()
        {
            var reference = ImageReference.Parse(Reference);
            string? name = MyInvocation.BoundParameters.ContainsKey(nameof(Name)) ? Name : null;
            var puller = new OciPuller(new CapstanRepository());
            using (var client = new RegistryClient(reference, CreateRegistryOptions(), push: false))
            {
                var plan = puller.Plan(client, name, Force, CancellationToken);
                WriteVerbose($"Pull {plan.Manifest.Reference} ({plan.Manifest.MediaType}, {plan.Manifest.Layers.Count} layers) as '{plan.Name}' into {plan.TargetPath}");
                if (!ShouldProcess(plan.Name, $"Pull {plan.Manifest.Reference} into the repository"))
                {
                    return;
                }
                WriteObject(puller.Pull(client, plan, TransferProgressReporter(), CancellationToken));
            }
        }
    }
}
