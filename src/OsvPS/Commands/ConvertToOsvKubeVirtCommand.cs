using System;
using System.Management.Automation;
using OsvPS.Core.Oci;
using OsvPS.Core.Qemu;

namespace OsvPS.Commands
{
    /// <summary>
    /// Writes a KubeVirt VirtualMachineInstance (YAML, for kubectl apply) that runs an image published
    /// with Publish-OsvImage: its containerDisk and, when it has a kernel, a kernel boot with its command line.
    /// </summary>
    [Cmdlet(VerbsData.ConvertTo, "OsvKubeVirt", DefaultParameterSetName = InputSet)]
    [OutputType(typeof(string))]
    public sealed class ConvertToOsvKubeVirtCommand : RegistryCmdlet
    {
        private const string InputSet = "InputObject";

        /// <summary>A published image (Publish-OsvImage's or Find-OsvImage -Reference's output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputSet)]
        [ValidateNotNull]
        public OsvRegistryImage InputObject { get; set; } = null!;

        /// <summary>registry/repository:tag or @sha256:digest of a published image, read from the registry.</summary>
        [Parameter(Mandatory = true, ParameterSetName = RegistrySet)]
        [ValidateNotNullOrEmpty]
        public string Reference { get; set; } = null!;

        /// <summary>The VirtualMachineInstance's name (default: the image name as a DNS label).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Namespace { get; set; }

        /// <summary>Memory in bytes (256MB, 1GB, ...); default 256MB.</summary>
        [Parameter]
        [ValidateRange(16L * 1024 * 1024, 1L << 40)]
        public long Memory { get; set; } = 256L * 1024 * 1024;

        [Parameter]
        [ValidateRange(1, 255)]
        public int Cpus { get; set; } = 1;

        /// <summary>Kernel (default, when the image has its kernel): kernelBoot with the command line; Disk: boot the containerDisk.</summary>
        [Parameter]
        [ValidateSet("Kernel", "Disk", IgnoreCase = true)]
        public BootMode BootMode { get; set; } = BootMode.Kernel;

        /// <summary>The command line for a kernel boot, instead of the image's own.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CommandLine { get; set; }

        [Parameter]
        public ImagePullPolicy? ImagePullPolicy { get; set; }

        /// <summary>A docker-registry secret in the namespace, for a private registry.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ImagePullSecret { get; set; }

        /// <summary>Name the image by its tag instead of by its digest.</summary>
        [Parameter]
        public SwitchParameter ByTag { get; set; }

        /// <summary>The QEMU machine type (spec.domain.machine.type), e.g. pc where the cluster allows it; default: the cluster's (q35).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? MachineType { get; set; }

        protected override void ProcessRecord()
        {
            object target = ParameterSetName == RegistrySet ? Reference : (object)InputObject;
            ForItem(target, () =>
            {
                var image = InputObject;
                if (ParameterSetName == RegistrySet)
                {
                    using (var client = new RegistryClient(ImageReference.Parse(Reference), CreateRegistryOptions(), push: false))
                    {
                        image = RemoteManifest.Read(client, CancellationToken).ToRegistryImage();
                    }
                }
                WriteObject(KubeVirtVmi.Write(image, new KubeVirtOptions
                {
                    Name = Name,
                    Namespace = Namespace,
                    MemoryMiB = (int)Math.Max(1, Memory / (1024 * 1024)),
                    Cpus = Cpus,
                    KernelBoot = BootMode == BootMode.Kernel,
                    CommandLine = CommandLine,
                    ImagePullPolicy = ImagePullPolicy,
                    ImagePullSecret = ImagePullSecret,
                    ByTag = ByTag,
                    MachineType = MachineType,
                }));
            });
        }
    }
}
