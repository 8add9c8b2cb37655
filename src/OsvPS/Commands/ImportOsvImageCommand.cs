using System;
using System.IO;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Imports a loader or any disk image (raw, qcow2, vmdk, vdi, vhdx) into the repository.
    /// </summary>
    [Cmdlet(VerbsData.Import, "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = KernelSet)]
    [OutputType(typeof(OsvImage))]
    public sealed class ImportOsvImageCommand : OsvCmdlet
    {
        private const string ImageSet = "Image";
        private const string KernelSet = "Kernel";

        /// <summary>The image file.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ImageSet)]
        [Alias("PSPath", "LiteralPath", "FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The repository name (default: the file name without its extension).</summary>
        [Parameter(Position = 1, ParameterSetName = ImageSet)]
        [Parameter(Mandatory = true, ParameterSetName = KernelSet)]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        [Parameter]
        public string? Description { get; set; }

        [Parameter]
        public string? Version { get; set; }

        /// <summary>The loader's kernel ELF (plain or .gz): instances then boot straight into it.</summary>
        [Parameter(ParameterSetName = ImageSet)]
        [Parameter(Mandatory = true, ParameterSetName = KernelSet)]
        [ValidateNotNullOrEmpty]
        public string? Kernel { get; set; }

        /// <summary>Replace an image of the same name.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var importer = new ImageImporter(new CapstanRepository());
            string? kernel = Kernel == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Kernel);
            if (ParameterSetName == KernelSet)
            {
                ForItem(Name, () =>
                {
                    if (ShouldProcess(Name!, $"Attach kernel '{kernel}'"))
                    {
                        importer.AttachKernel(Name!, kernel!, CancellationToken);
                        WriteObject(new CapstanRepository().GetImage(Name!));
                    }
                });
                return;
            }
            string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            ForItem(file, () =>
            {
                string name = Name ?? System.IO.Path.GetFileName(file).Split('.')[0];
                var plan = importer.Plan(file, name, Force);
                if (ShouldProcess(plan.TargetPath, $"Import '{file}' as image '{name}' ({plan.Format})"))
                {
                    var image = importer.Import(plan, Description ?? $"imported from {System.IO.Path.GetFileName(file)}", Version, CancellationToken);
                    if (kernel != null)
                    {
                        importer.AttachKernel(name, kernel, CancellationToken);
                    }
                    WriteObject(image);
                }
            });
        }
    }
}
