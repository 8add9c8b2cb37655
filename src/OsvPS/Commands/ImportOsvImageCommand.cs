using System;
using System.IO;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// <para type="synopsis">Imports a loader or any disk image (raw, qcow2, vmdk, vdi, vhdx) into the repository.</para>
    /// </summary>
    [Cmdlet(VerbsData.Import, "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvImage))]
    public sealed class ImportOsvImageCommand : OsvCmdlet
    {
        /// <summary>The image file.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LiteralPath", "FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The repository name (default: the file name without its extension).</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        [Parameter]
        public string? Description { get; set; }

        [Parameter]
        public string? Version { get; set; }

        /// <summary>Replace an image of the same name.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            ForItem(file, () =>
            {
                string name = Name ?? System.IO.Path.GetFileName(file).Split('.')[0];
                var importer = new ImageImporter(new CapstanRepository());
                var plan = importer.Plan(file, name, Force);
                if (ShouldProcess(plan.TargetPath, $"Import '{file}' as image '{name}' ({plan.Format})"))
                {
                    WriteObject(importer.Import(plan, Description ?? $"imported from {System.IO.Path.GetFileName(file)}", Version, CancellationToken));
                }
            });
        }
    }
}
