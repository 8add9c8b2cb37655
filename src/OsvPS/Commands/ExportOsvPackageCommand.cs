using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Building;

namespace OsvPS.Commands
{
    /// <summary>
    /// Builds a package (.mpm and .yaml) of a project into the repository, so other projects can require it.
    /// </summary>
    [Cmdlet(VerbsData.Export, "OsvPackage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvPackage))]
    public sealed class ExportOsvPackageCommand : OsvCmdlet
    {
        /// <summary>The project: a folder or an OsvProject (default: the current folder).</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Path", "PSPath")]
        [ProjectTransformation]
        public ProjectArgument? Project { get; set; }

        /// <summary>Keep symlinks that point outside the project as written instead of refusing them.</summary>
        [Parameter]
        public SwitchParameter KeepExternalSymlinks { get; set; }

        protected override void ProcessRecord()
        {
            var target = Project ?? new ProjectArgument(SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            ForItem(target.Path, () =>
            {
                var project = target.Load();
                var repository = new CapstanRepository();
                if (ShouldProcess(PackageBuilder.ArchivePath(repository, project), $"Build package '{project.Name}' from {project.Path}"))
                {
                    WriteObject(PackageBuilder.Build(repository, project, KeepExternalSymlinks));
                }
            });
        }
    }
}
