using System.Collections;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;

namespace OsvPS.Commands
{
    /// <summary>
    /// Creates an OSv project: a folder whose tree becomes the guest's '/', with meta/package.yaml and meta/run.yaml.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "OsvProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvProject))]
    public sealed class NewOsvProjectCommand : OsvCmdlet
    {
        /// <summary>The project folder; created when missing.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LiteralPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The package name; default: the folder's name. Any one file name, spaces included.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        /// <summary>The command OSv runs, e.g. '/hello --verbose'. Without it run.yaml is a commented template.</summary>
        [Parameter(Position = 1)]
        public string? BootCommand { get; set; }

        /// <summary>The name of the config set the boot command goes into (default 'default').</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ConfigSet { get; set; } = "default";

        /// <summary>Environment variables of the config set.</summary>
        [Parameter]
        public Hashtable? Env { get; set; }

        [Parameter]
        public string? Title { get; set; }

        [Parameter]
        public string? Author { get; set; }

        [Parameter]
        public string? Version { get; set; }

        /// <summary>Packages this project requires (their files are composed into the image first).</summary>
        [Parameter]
        public string[]? Require { get; set; }

        /// <summary>Replace the meta files of an existing project.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            string full = ResolveNewPath(Path);
            ForItem(full, () =>
            {
                var spec = new ProjectSpec
                {
                    Path = full,
                    Name = Name,
                    Title = Title,
                    Author = Author,
                    Version = Version,
                    Require = Require ?? new string[0],
                    BootCommand = BootCommand,
                    ConfigSet = ConfigSet,
                    Env = Hashtables.ToStringDictionary(Env),
                    Force = Force,
                };
                // Validate everything first, so -WhatIf reports the same errors a real run would.
                ProjectStore.Plan(spec);
                if (ShouldProcess(full, "Create OSv project"))
                {
                    WriteObject(ProjectStore.Create(spec));
                }
            });
        }
    }
}
