using System;
using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Building;

namespace OsvPS.Commands
{
    /// <summary>
    /// Builds a bootable OSv image of a project, on the host, into the repository.
    /// </summary>
    // "Build" is an approved verb from PowerShell 6 on; PowerShellStandard 5.1 has no constant for it.
    [Cmdlet("Build", "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvImage))]
    public sealed class BuildOsvImageCommand : OsvCmdlet
    {
        /// <summary>The project: a folder path or an OsvProject (default: the current folder).</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Path", "PSPath")]
        [ProjectTransformation]
        public ProjectArgument? Project { get; set; }

        /// <summary>The image name (default: the project's name, each character an image name cannot hold written as '-').</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        /// <summary>The OSv loader: a repository image name or a file (default osv-loader).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string LoaderImage { get; set; } = "osv-loader";

        /// <summary>Config sets to run, in order (default: the project's config_set_default).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ConfigSetCompleter))]
        public string[]? Boot { get; set; }

        /// <summary>Environment variables put on the command line (they override the config sets' env).</summary>
        [Parameter]
        public Hashtable? Env { get; set; }

        /// <summary>The whole command line, instead of config sets.</summary>
        [Parameter]
        public string? CommandLine { get; set; }

        /// <summary>qcow2 (default) or raw are written directly; vmdk, vdi and vhdx through qemu-img.</summary>
        [Parameter]
        public DiskFormat Format { get; set; } = DiskFormat.Qcow2;

        /// <summary>Packages to include besides the project's own require list.</summary>
        [Parameter]
        public string[]? Require { get; set; }

        /// <summary>Build without osv.bootstrap (for custom loaders).</summary>
        [Parameter]
        public SwitchParameter NoBootstrap { get; set; }

        /// <summary>Keep symlinks that point outside the project as written instead of refusing them.</summary>
        [Parameter]
        public SwitchParameter KeepExternalSymlinks { get; set; }

        /// <summary>Download a missing loader or required package from the release source instead of failing.</summary>
        [Parameter]
        public SwitchParameter PullMissing { get; set; }

        /// <summary>The release source for -PullMissing.</summary>
        [Parameter]
        public string? Source { get; set; }

        /// <summary>Build even when a config set boots a program the image does not hold.</summary>
        [Parameter]
        public SwitchParameter SkipProgramCheck { get; set; }

        /// <summary>Rebuild even when nothing that goes into the image changed.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var target = Project ?? new ProjectArgument(SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            ForItem(target.Path, () =>
            {
                var project = LoadProject(target);
                var repository = new CapstanRepository();
                var builder = new ImageBuilder(repository);
                var request = new ImageBuildRequest
                {
                    Project = project,
                    Name = Name,
                    LoaderImage = IsImageName(LoaderImage) ? LoaderImage : ResolveNewPath(LoaderImage),
                    Boot = Boot,
                    Env = Hashtables.ToStringDictionary(Env),
                    CommandLine = CommandLine,
                    Format = Format,
                    Compose = new ComposeOptions { ExtraRequire = Require ?? new string[0], NoBootstrap = NoBootstrap, KeepExternalSymlinks = KeepExternalSymlinks },
                    SkipProgramCheck = SkipProgramCheck,
                };
                var progress = new ProgressPacer(this, 1, $"Build-OsvImage {Name ?? project.Name}");
                progress.Report($"reading {project.Path} and the packages it requires", always: true);
                ImageBuildPlan plan;
                try
                {
                    plan = PlanPulling(builder, repository, request);
                }
                catch
                {
                    progress.Complete("failed");
                    throw;
                }
                progress.Activity = $"Build-OsvImage {plan.Name}";
                WriteVerbose($"Packages, in order: {string.Join(", ", plan.Composed.Packages)}; loader: {plan.LoaderPath}");
                WriteVerbose(plan.CommandLine.Length > 0 ? $"Command line: {plan.CommandLine}"
                    : $"Command line: empty (no -Boot, no config_set_default, no config set 'default'): pick a config set at start with -Boot {string.Join(",", plan.Composed.ConfigSets)}.");
                WriteVerbose($"File system: {plan.Composed.Files.Count} entries laid down, {plan.FileSystemBytes / 1048576.0:0.0} MiB of ROFS.");
                if (MyInvocation.BoundParameters.ContainsKey("Verbose"))
                {
                    foreach (var file in plan.Composed.Files)
                    {
                        WriteVerbose($"{file.Key} <- {file.Value}");
                    }
                }
                if (!Force && builder.IsUpToDate(plan))
                {
                    WriteVerbose($"Image '{plan.Name}' is up to date: nothing that goes into it changed since {plan.OutputPath} was written.");
                    progress.Complete("up to date");
                    WriteObject(repository.GetImage(plan.Name));
                    return;
                }
                if (!ShouldProcess(plan.OutputPath, $"Build OSv image '{plan.Name}' ({plan.Format}) from {project.Path}"))
                {
                    progress.Complete("not built");
                    return;
                }
                var watch = Stopwatch.StartNew();
                // The same bar goes on with the bytes written; its pace, and so the seconds left, from here.
                var writing = new ProgressPacer(this, 1, $"Build-OsvImage {plan.Name}");
                writing.Report($"0.0 of {plan.FileSystemBytes / 1048576.0:0.0} MiB", 0, always: true);
                OsvImage image;
                try
                {
                    image = builder.Build(plan, Force, new CallbackProgress<BuildProgress>(p =>
                    {
                        bool whole = p.BytesWritten >= p.TotalBytes;
                        if (whole || writing.Due)
                        {
                            writing.Report($"{p.BytesWritten / 1048576.0:0.0} of {p.TotalBytes / 1048576.0:0.0} MiB",
                                p.TotalBytes == 0 ? 1 : (double)p.BytesWritten / p.TotalBytes, p.CurrentFile, always: whole);
                        }
                    }), CancellationToken);
                }
                finally
                {
                    writing.Complete();
                }
                WriteVerbose($"Wrote {plan.OutputPath} in {watch.Elapsed.TotalSeconds:0.00} s.");
                WriteObject(image);
            });
        }

        // With -PullMissing (or pull_missing in config.yaml) the build plan asks for what it lacks, and a
        // release brings it.
        private ImageBuildPlan PlanPulling(ImageBuilder builder, CapstanRepository repository, ImageBuildRequest request)
        {
            if (!(PullMissing || RepositoryConfig.Load(repository).PullMissing))
            {
                return builder.Plan(request);
            }
            return builder.Plan(request, missing =>
            {
                using (var source = Releases.Open(repository, Source))
                {
                    var catalog = new OsvPS.Core.Remote.RemoteCatalog(repository, source);
                    WriteVerbose($"Fetching missing {missing} from {source.Url}.");
                    if (missing.Kind == MissingInputKind.Package)
                    {
                        catalog.SavePackage(missing.Name, null, false, Releases.DownloadProgress(this), CancellationToken);
                    }
                    else
                    {
                        catalog.SaveImage(missing.Name, null, "default", false, Releases.DownloadProgress(this), CancellationToken);
                    }
                    return true;
                }
            });
        }

        // Capstan's 'capstan build NAME' takes the image name where Build-OsvImage takes the project: when the
        // folder named does not exist and the current folder is a project, say how to name the image.
        private OsvProject LoadProject(ProjectArgument target)
        {
            try
            {
                return target.Load();
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.ProjectNotFound && Project != null && !System.IO.Directory.Exists(target.Path)
                && OsvPS.Core.Packaging.ProjectStore.IsProject(SessionState.Path.CurrentFileSystemLocation.ProviderPath))
            {
                string name = System.IO.Path.GetFileName(target.Path.TrimEnd('/'));
                throw new OsvException(e.Id, e.Kind,
                    $"{e.Message} Build-OsvImage takes the project first; to build this folder's project as the image '{name}', write: Build-OsvImage -Name {name}", e.Target, e);
            }
        }

        // An image name is looked up in the repository; anything else is a path, relative to the current location.
        private static bool IsImageName(string value)
        {
            try
            {
                CapstanRepository.ValidateImageName(value);
                return true;
            }
            catch (OsvException)
            {
                return false;
            }
        }
    }
}
