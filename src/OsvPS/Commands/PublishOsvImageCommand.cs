using System.IO;
using System.Linq;
using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Oci;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Pushes an image (its disk, its kernel when it has one, and OsvPS's metadata) to an OCI registry,
    /// laid out as a KubeVirt containerDisk.
    /// </summary>
    [Cmdlet(VerbsData.Publish, "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = RegistrySet)]
    [OutputType(typeof(OsvRegistryImage))]
    public sealed class PublishOsvImageCommand : RegistryCmdlet
    {
        /// <summary>An OsvImage (from Build-OsvImage or Get-OsvImage) or an image name.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        [ValidateNotNull]
        public object Image { get; set; } = null!;

        /// <summary>registry[:port]/repository[:tag] to push to (tag default: latest).</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Reference { get; set; } = null!;

        /// <summary>Publish the disk only, without the kernel ELF (no kernel boot then).</summary>
        [Parameter]
        public SwitchParameter NoKernel { get; set; }

        /// <summary>Blobs larger than this go up in resumable chunks of this size; 0 sends each blob in one request.</summary>
        [Parameter]
        [ValidateRange(0, long.MaxValue)]
        public long ChunkSize { get; set; } = 64L << 20;

        protected override void ProcessRecord()
        {
            ForItem(Image, () =>
            {
                var image = ResolveImage(new CapstanRepository(), Image);
                var plan = OciPublisher.Plan(image, ImageReference.Parse(Reference), !NoKernel);
                WriteVerbose($"Publish '{image.Name}' as {plan.Reference}: manifest {plan.ManifestDigest}, config {plan.ConfigDigest}, " +
                    string.Join(", ", plan.Layers.Select(l => $"{l.PathInImage} ({l.Size} bytes, {l.Digest})")));
                if (!ShouldProcess(plan.Reference.ToString(), $"Publish image '{image.Name}' ({plan.Layers.Count} layers, {plan.Size / 1048576.0:0.0} MiB)"))
                {
                    return;
                }
                var options = CreateRegistryOptions();
                options.ChunkSize = ChunkSize;
                var published = OciPublisher.Publish(plan, options, TransferProgressReporter(), CancellationToken);
                WriteVerbose($"{published.BlobsSent} blobs sent, {published.BlobsSkipped} already in {plan.Reference.Name}.");
                WriteObject(published);
            });
        }

        private static OsvImage ResolveImage(CapstanRepository repository, object image)
        {
            object value = image is PSObject pso ? pso.BaseObject : image;
            if (value is OsvImage osv)
            {
                return File.Exists(osv.Path) ? osv : throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound, $"the file of image '{osv.Name}' ({osv.Path}) is gone.", osv);
            }
            string name = LanguagePrimitives.ConvertTo<string>(value);
            CapstanRepository.ValidateImageName(name);
            return repository.GetImage(name);
        }
    }
}
