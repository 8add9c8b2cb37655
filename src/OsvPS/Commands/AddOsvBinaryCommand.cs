using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Copies programs and libraries, with every shared library they need, into a project at the guest paths OSv expects.
    /// </summary>
    [Cmdlet(VerbsCommon.Add, "OsvBinary", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = PathSet)]
    [OutputType(typeof(OsvFile))]
    public sealed class AddOsvBinaryCommand : ElfInputCmdlet
    {
        private DependencyResolver? resolver;
        private BinaryPlacer? placer;
        // Only when the default loader has a kernel beside it: then each input is also checked against it.
        private OsvCompatibility? compatibility;
        // Results wait for the one sync at the end of the call: what is emitted is on the disk.
        private readonly List<object> results = new List<object>();

        /// <summary>The project: a folder or an OsvProject (default: the current folder, when it is a project).</summary>
        [Parameter]
        public object? Project { get; set; }

        /// <summary>Where the (single) input goes in the guest, e.g. /app/server.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? GuestPath { get; set; }

        /// <summary>Copy only the inputs.</summary>
        [Parameter]
        public SwitchParameter NoDependencies { get; set; }

        /// <summary>Copy the libraries OSv provides too (libc, libstdc++, ...).</summary>
        [Parameter]
        public SwitchParameter IncludeProvided { get; set; }

        /// <summary>Replaces the list of libraries OSv provides (sonames or stems like 'libc').</summary>
        [Parameter]
        public string[]? Provided { get; set; }

        /// <summary>Copy libstdc++ (for kernels built with hidden symbols, which do not export it).</summary>
        [Parameter]
        public SwitchParameter IncludeLibStdCxx { get; set; }

        /// <summary>Place what was found even when libraries are missing.</summary>
        [Parameter]
        public SwitchParameter SkipMissing { get; set; }

        /// <summary>Replace a different file already at a guest path.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Compare each file's content with the project's copy; by default equal size and modification time mean unchanged.</summary>
        [Parameter]
        public SwitchParameter Checksum { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                string projectPath = ResolveProjectPath();
                var provided = (Provided ?? DependencyResolver.OsvProvided.ToArray()).Where(p => !(IncludeLibStdCxx && p.StartsWith("libstdc++", System.StringComparison.Ordinal)));
                resolver = new DependencyResolver(SearchOptions(provided, IncludeProvided));
                placer = new BinaryPlacer(resolver, projectPath);
                compatibility = DefaultLoaderCheck(resolver);
            }
            catch (OsvException e)
            {
                ThrowFailure(e, e.Target);
            }
        }

        private string ResolveProjectPath()
        {
            object? value = Project is PSObject pso ? pso.BaseObject : Project;
            string path = value switch
            {
                null => SessionState.Path.CurrentFileSystemLocation.ProviderPath,
                OsvProject project => project.Path,
                _ => SessionState.Path.GetUnresolvedProviderPathFromPSPath(LanguagePrimitives.ConvertTo<string>(value)),
            };
            if (!ProjectStore.IsProject(path))
            {
                throw new OsvException(ErrorIds.ProjectNotFound, OsvErrorKind.ObjectNotFound,
                    $"'{path}' is not a project (no meta/package.yaml or meta/run.yaml); create one with New-OsvProject or name one with -Project.", path);
            }
            return path;
        }

        protected override void ProcessRecord()
        {
            var inputs = InputFiles();
            if (GuestPath != null && inputs.Count > 1)
            {
                ThrowFailure(new OsvException("GuestPathInvalid", OsvErrorKind.InvalidArgument, "-GuestPath names the place of one input; several were given.", GuestPath), GuestPath);
            }
            foreach (string input in inputs)
            {
                ForItem(input, () => AddOne(input));
            }
        }

        private void AddOne(string input)
        {
            if (Directory.Exists(input))
            {
                throw new OsvException("BinaryNotFound", OsvErrorKind.InvalidArgument, $"'{input}' is a folder; name the files in it (e.g. '{input}/*.so').", input);
            }
            var placement = placer!.Plan(input, new PlacementOptions
            {
                GuestPath = GuestPath, NoDependencies = NoDependencies, Force = Force, SkipMissing = SkipMissing, Checksum = Checksum,
            });
            foreach (string warning in placement.Warnings)
            {
                WriteWarning(warning);
            }
            WarnIfIncompatible(input);
            var changes = placement.Planned.Where(f => f.Action != FileAction.Unchanged).ToList();
            if (changes.Count == 0 && !placement.RefreshesTimes)
            {
                results.AddRange(placement.Planned);
                return;
            }
            string what = changes.Count == 0 ? "set the modification times of its unchanged files" : "Add to the project as " + string.Join(", ", changes.Select(f => f.GuestPath));
            if (ShouldProcess(input, what))
            {
                results.AddRange(placer.Apply(placement));
            }
        }

        // The check against the kernel of the repository's default loader, when it has one that can be read.
        private OsvCompatibility? DefaultLoaderCheck(DependencyResolver dependencies)
        {
            var repository = new CapstanRepository();
            string? kernel = OsvCompatibility.FindKernel(repository, "osv-loader");
            if (kernel == null)
            {
                return null;
            }
            try
            {
                return new OsvCompatibility(dependencies, kernel, OsvCompatibility.BootstrapLibGcc(repository));
            }
            catch (OsvException e)
            {
                WriteVerbose($"Inputs are not checked against '{kernel}': {e.Message}");
                return null;
            }
        }

        // One warning per input that the repository's kernel cannot run; the adding goes on.
        private void WarnIfIncompatible(string input)
        {
            if (compatibility == null)
            {
                return;
            }
            OsvBinaryCompatibility report;
            try
            {
                report = compatibility.Check(input);
            }
            catch (OsvException e)
            {
                WriteVerbose($"Could not check '{input}' against the kernel: {e.Message}");
                return;
            }
            if (report.Compatible)
            {
                return;
            }
            string why = report.MissingSymbols.Count > 0
                ? "it needs symbols that neither the kernel nor its libraries define: " + string.Join(", ", report.MissingSymbols.Take(5).Select(m => m.Name)) +
                  (report.MissingSymbols.Count > 5 ? $" and {report.MissingSymbols.Count - 5} more" : "")
                : string.Join("; ", report.Notes);
            WriteWarning($"'{input}' may not run on OSv ({report.Kernel}): {why}. Test-OsvBinary '{input}' tells more.");
        }

        protected override void EndProcessing()
        {
            try
            {
                placer?.Complete();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                ThrowFailure(new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError,
                    $"the files copied into the project could not be flushed to the disk: {e.Message}", null, e), null);
            }
            WriteObject(results, enumerateCollection: true);
        }
    }
}
