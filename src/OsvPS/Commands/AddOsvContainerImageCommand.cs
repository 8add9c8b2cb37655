using System.IO;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Containers;
using OsvPS.Core.Debian;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Carries a container image (a registry's, an OCI layout's or a docker-archive's) into a project, with a config set that starts its program.
    /// </summary>
    [Cmdlet(VerbsCommon.Add, "OsvContainerImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = RegistrySet)]
    [OutputType(typeof(OsvContainerImage))]
    public sealed class AddOsvContainerImageCommand : RegistryCmdlet
    {
        private string projectPath = "";
        private CapstanRepository repository = null!;
        private ContainerCarryOptions options = new ContainerCarryOptions();

        /// <summary>Images: registry[:port]/repository[:tag][@sha256:digest], oci:&lt;folder&gt;[:tag] or docker-archive:&lt;file&gt;.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Reference { get; set; } = new string[0];

        /// <summary>The project: a folder or an OsvProject (default: the current folder, when it is a project).</summary>
        [Parameter]
        [ProjectTransformation]
        public ProjectArgument? Project { get; set; }

        /// <summary>The config set that starts the image's program (default: default).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ConfigSet { get; set; } = "default";

        /// <summary>Optional content to carry too: Documentation, ManPages, Locales.</summary>
        [Parameter]
        [ValidateSet("Documentation", "ManPages", "Locales", IgnoreCase = true)]
        public DebianContent[]? Include { get; set; }

        /// <summary>Replace what the project holds at a path, and a config set of that name.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                projectPath = (Project ?? new ProjectArgument(SessionState.Path.CurrentFileSystemLocation.ProviderPath)).RequireProject();
                repository = new CapstanRepository();
                string? kernel = OsvCompatibility.FindKernel(repository, "osv-loader");
                options = new ContainerCarryOptions
                {
                    ConfigSet = ConfigSet,
                    Include = (Include ?? new DebianContent[0]).Aggregate(DebianContent.None, (all, c) => all | c),
                    Force = Force,
                    KernelPath = kernel,
                    LibGcc = kernel == null ? null : OsvCompatibility.BootstrapLibGcc(repository),
                };
            }
            catch (OsvException e)
            {
                ThrowFailure(e, e.Target);
            }
        }

        protected override void ProcessRecord()
        {
            foreach (string reference in Reference)
            {
                ForItem(reference, () => Carry(reference));
            }
        }

        private void Carry(string reference)
        {
            var source = ContainerSource.Parse(reference, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            string cache = Path.Combine(repository.CachePath, "containers");
            var read = new ContainerReadOptions { Registry = CreateRegistryOptions(), CacheFolder = cache, Progress = TransferProgressReporter() };
            using (var image = ContainerImageReader.Open(source, read, CancellationToken))
            {
                string root = ContainerRoot.Cached(image, cache, TransferProgressReporter(), CancellationToken, out bool reused);
                WriteVerbose($"{image.Digest}: {(reused ? "the root unpacked before" : "unpacked")} in {root}");
                var plan = ContainerCarrier.Plan(image, root, projectPath, options);
                var result = plan.Result;
                foreach (string warning in result.Warnings)
                {
                    WriteWarning($"{reference}: {warning}");
                }
                foreach (string left in result.LeftOut)
                {
                    WriteVerbose($"Left out {left}");
                }
                string action = $"Add {plan.Changes} entries ({result.Bytes / 1048576.0:0.0} MiB) to the project '{projectPath}' and config set '{ConfigSet}': {result.BootCommand}";
                if (ShouldProcess($"{reference} ({image.Digest})", action))
                {
                    WriteObject(ContainerCarrier.Apply(plan));
                }
            }
        }
    }
}
