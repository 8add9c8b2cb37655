using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Elf;
using OsvPS.Core.Projects;
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
        private BinaryPlacer? placer;
        // Only when the default loader has a kernel beside it: then each input is also checked against it.
        private OsvCompatibility? compatibility;
        // Results wait for the one sync at the end of the call: what is emitted is on the disk.
        private readonly List<object> results = new List<object>();
        // The inputs planned in this call, checked at its end: a library's missing symbols may be defined by a program added with it.
        private readonly List<Placement> planned = new List<Placement>();
        private int inputCount;
        private ProgressPacer? progress;

        /// <summary>The project: a folder or an OsvProject (default: the current folder, when it is a project).</summary>
        [Parameter]
        [ProjectTransformation]
        public ProjectArgument? Project { get; set; }

        /// <summary>Where the input goes in the guest, e.g. /app/server; a path ending in '/' is a folder that receives every input under its file name.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? GuestPath { get; set; }

        /// <summary>
        /// Carry dynamic programs for Linux's own dynamic linker: the host's ld-linux-x86-64.so.2, its C library and every
        /// library at the paths that loader searches. The program's BootCommand says how to start it.
        /// </summary>
        [Parameter]
        public SwitchParameter LinuxLinker { get; set; }

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
                string projectPath = (Project ?? new ProjectArgument(SessionState.Path.CurrentFileSystemLocation.ProviderPath)).RequireProject();
                var provided = (Provided ?? DependencyResolver.OsvProvided.ToArray()).Where(p => !(IncludeLibStdCxx && p.StartsWith("libstdc++", System.StringComparison.Ordinal)));
                var options = SearchOptions(provided, IncludeProvided);
                var resolver = new DependencyResolver(options);
                var linuxResolver = new DependencyResolver(OsvCompatibility.LinuxOptions(options));
                placer = new BinaryPlacer(resolver, projectPath, linuxResolver);
                compatibility = OsvCompatibility.ForDefaultLoader(new CapstanRepository(), resolver, linuxResolver, out string? whyNot);
                if (whyNot != null)
                {
                    WriteVerbose($"Inputs are not checked against the kernel: {whyNot}");
                }
            }
            catch (OsvException e)
            {
                ThrowFailure(e, e.Target);
            }
        }

        protected override void ProcessRecord()
        {
            var inputs = InputFiles();
            inputCount += inputs.Count;
            if (GuestPath != null && !GuestPath.EndsWith("/", StringComparison.Ordinal) && inputCount > 1)
            {
                ThrowFailure(new OsvException(ErrorIds.GuestPathInvalid, OsvErrorKind.InvalidArgument,
                    $"-GuestPath '{GuestPath}' names the place of one input; several were given. End it with '/' to name a folder for all of them.", GuestPath), GuestPath);
            }
            progress ??= new ProgressPacer(this, 1, "Add-OsvBinary");
            // Without pipeline input every input is known now, so is the share done; from the pipeline, only the count so far.
            bool allKnown = !MyInvocation.ExpectingInput;
            for (int i = 0; i < inputs.Count; i++)
            {
                string input = inputs[i];
                int before = inputCount - inputs.Count + i;
                progress.Report(allKnown ? $"{before} of {inputs.Count} inputs" : $"{before} inputs",
                    allKnown ? (double)i / inputs.Count : (double?)null, input);
                ForItem(input, () => AddOne(input));
            }
        }

        private void AddOne(string input)
        {
            if (Directory.Exists(input))
            {
                throw new OsvException(ErrorIds.BinaryNotFound, OsvErrorKind.InvalidArgument, $"'{input}' is a folder; name the files in it (e.g. '{input}/*.so').", input);
            }
            var placement = placer!.Plan(input, new PlacementOptions
            {
                GuestPath = GuestPath, NoDependencies = NoDependencies, Force = Force, SkipMissing = SkipMissing, Checksum = Checksum, LinuxLinker = LinuxLinker,
            });
            foreach (string warning in placement.Warnings)
            {
                WriteWarning(warning);
            }
            planned.Add(placement);
            if (placement.BootCommand != null)
            {
                WriteVerbose($"'{input}' starts with: {placement.BootCommand}");
            }
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

        // One warning per input that will not start the way it is added, from Test-OsvBinary's verdict; the programs of
        // the call count for its libraries (plugins).
        private void WarnFromVerdicts()
        {
            if (compatibility == null)
            {
                return;
            }
            var programs = planned.Where(p => p.IsProgram).Select(p => p.Input).Distinct().ToList();
            var inputs = planned.GroupBy(p => p.Input).Select(g => g.First()).ToList();
            var reports = compatibility.CheckMany(inputs.Select(p => (p.Input, p.IsProgram ? null : (IReadOnlyList<string>)programs)).ToList(), CancellationToken);
            VerdictWarnings.Write(this, reports, i =>
                LinuxLinker && inputs[i].Elf.Kind != ElfKind.StaticExecutable && inputs[i].Elf.Kind != ElfKind.Other ? OsvRunWay.LinuxLinker : OsvRunWay.OsvLinker);
        }

        protected override void EndProcessing()
        {
            if (compatibility != null && planned.Count > 0)
            {
                progress?.Report($"checking {planned.Count} inputs against the kernel", always: true);
            }
            WarnFromVerdicts();
            try
            {
                progress?.Report("flushing the copies to the disk", always: true);
                placer?.Complete();
                progress?.Complete();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                progress?.Complete("failed");
                ThrowFailure(new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError,
                    $"the files copied into the project could not be flushed to the disk: {e.Message}", null, e), null);
            }
            catch (OsvException e)
            {
                progress?.Complete("failed");
                // The one sync of the project's file system failed (the writer says which folder).
                ThrowFailure(e, e.Target);
            }
            WriteObject(results, enumerateCollection: true);
        }
    }
}
