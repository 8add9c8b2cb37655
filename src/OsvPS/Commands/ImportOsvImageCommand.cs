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
        private const string ReleaseSet = "ReleaseFolder";

        /// <summary>
        /// A folder of OSv's release assets under their release names (osv-loader.qemu.x86_64,
        /// osv-loader.elf.x86_64.gz, osv.bootstrap.mpm.x86_64, osv.bootstrap.yaml): the loader with its kernel
        /// and every package, as a download would have put them.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = ReleaseSet)]
        [ValidateNotNullOrEmpty]
        public string ReleaseFolder { get; set; } = "";

        /// <summary>The image file.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ImageSet)]
        [Alias("PSPath", "LiteralPath", "FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The repository name (default: the file name without its extension; osv-loader for -ReleaseFolder).</summary>
        [Parameter(Position = 1, ParameterSetName = ImageSet)]
        [Parameter(Mandatory = true, ParameterSetName = KernelSet)]
        [Parameter(ParameterSetName = ReleaseSet)]
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
            if (ParameterSetName == ReleaseSet)
            {
                string folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ReleaseFolder);
                ForItem(folder, () =>
                {
                    var release = OsvPS.Core.Repository.ReleaseFolder.Read(folder);
                    string name = Name ?? "osv-loader";
                    if (ShouldProcess(folder, $"Import OSv's loader as '{name}'{(release.Kernel == null ? "" : " with its kernel")} and {release.Packages.Count} package(s)"))
                    {
                        var (loader, packages) = release.Import(new CapstanRepository(), name, Force, CancellationToken);
                        // One type out, so the output is one table; the packages are listed by Get-OsvPackage.
                        foreach (var package in packages)
                        {
                            WriteVerbose($"Imported package '{package.Name}' {package.Version} into {package.Path}.");
                        }
                        WriteObject(loader);
                    }
                });
                return;
            }
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
