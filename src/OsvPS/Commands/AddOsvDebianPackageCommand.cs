using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Debian;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Projects;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Carries into a project what Debian packages installed (programs, libraries, modules, configuration and data, at the paths dpkg put them), with the libraries their ELF files need, read from dpkg's database.
    /// </summary>
    [Cmdlet(VerbsCommon.Add, "OsvDebianPackage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = NameSet)]
    [OutputType(typeof(OsvDebianFile))]
    public sealed class AddOsvDebianPackageCommand : OsvCmdlet
    {
        private const string NameSet = "Name";
        private const string PathSet = "Path";
        private DpkgDatabase? database;
        private DebianCarrier? carrier;
        private OsvCompatibility? compatibility;
        private string projectPath = "";
        private DebianCarryOptions options = new DebianCarryOptions();
        // Results wait for the one sync at the end of the call: what is emitted is on the disk.
        private readonly List<OsvDebianFile> results = new List<OsvDebianFile>();
        // The programs planned in this call, carried or not (-WhatIf): the config sets -LinuxLinker moves to that linker.
        private readonly List<OsvDebianFile> startable = new List<OsvDebianFile>();
        private readonly HashSet<string> named = new HashSet<string>(StringComparer.Ordinal);
        // Where the programs a user starts are (a dependency's private helpers, glib's gio-querymodules, are not checked).
        private static readonly string[] CommandFolders = { "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/", "/usr/local/sbin/" };

        /// <summary>Installed Debian packages to carry (name or name:arch); wildcards match installed packages.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(DebianPackageCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Files (a program, say) whose owning packages are carried; binds from Get-Command and Get-ChildItem output.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        /// <summary>The project: a folder or an OsvProject (default: the current folder, when it is a project).</summary>
        [Parameter]
        [ProjectTransformation]
        public ProjectArgument? Project { get; set; }

        /// <summary>A root file system (a sysroot) whose dpkg database and files are read instead of the host's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Root { get; set; }

        /// <summary>Optional content to carry too: Documentation, ManPages, Locales.</summary>
        [Parameter]
        [ValidateSet("Documentation", "ManPages", "Locales", IgnoreCase = true)]
        public DebianContent[]? Include { get; set; }

        /// <summary>Guest paths to leave out (wildcards); a pattern that names a folder leaves out what is in it.</summary>
        [Parameter]
        [SupportsWildcards]
        public string[]? Exclude { get; set; }

        /// <summary>Which dependencies come along: RunTime (what the programs need at run time, the default), Section (those in the same Debian section as the package needing them), All (every one but the base system), None.</summary>
        [Parameter]
        public DebianDependencyScope DependencyScope { get; set; } = DebianDependencyScope.RunTime;

        /// <summary>Replace a different file already at a guest path.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Carry an ELF file even when some libraries it needs cannot be found.</summary>
        [Parameter]
        public SwitchParameter SkipMissing { get; set; }

        /// <summary>Start the packages' programs on Linux's dynamic linker: the root's ld-linux-x86-64.so.2 and C library come with them, each program's BootCommand says how to start it, and the project's config sets that start one of them are made to start it that way.</summary>
        [Parameter]
        public SwitchParameter LinuxLinker { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                projectPath = (Project ?? new ProjectArgument(SessionState.Path.CurrentFileSystemLocation.ProviderPath)).RequireProject();
                string root = Root == null ? "/" : ResolveNewPath(Root);
                database = DpkgDatabase.Open(new Sysroot(root));
                var search = new ResolverOptions { Root = root };
                var resolver = new DependencyResolver(search);
                var linuxResolver = new DependencyResolver(OsvCompatibility.LinuxOptions(search));
                carrier = new DebianCarrier(database, resolver, new BinaryPlacer(resolver, projectPath, linuxResolver), projectPath);
                compatibility = OsvCompatibility.ForDefaultLoader(new CapstanRepository(), resolver, linuxResolver, out string? whyNot);
                if (whyNot != null)
                {
                    WriteVerbose($"Programs are not checked against the kernel: {whyNot}");
                }
                var excluded = (Exclude ?? new string[0]).Select(p => Names.Pattern(p, WildcardOptions.None)).ToList();
                options = new DebianCarryOptions
                {
                    Scope = DependencyScope,
                    Include = (Include ?? new DebianContent[0]).Aggregate(DebianContent.None, (all, c) => all | c),
                    Exclude = excluded.Count == 0 ? null : (Func<string, bool>)(p => excluded.Any(w => w.IsMatch(p))),
                    Force = Force,
                    SkipMissing = SkipMissing,
                    LinuxLinker = LinuxLinker,
                };
            }
            catch (OsvException e)
            {
                ThrowFailure(e, e.Target);
            }
        }

        protected override void ProcessRecord()
        {
            var named = ParameterSetName == PathSet ? Owners() : Named();
            if (named.Count == 0)
            {
                return;
            }
            List<DebianPackagePlan> plans;
            try
            {
                plans = carrier!.Plan(named, options);
            }
            catch (OsvException e)
            {
                WriteFailure(e, e.Target);
                return;
            }
            foreach (var plan in plans)
            {
                Carry(plan);
            }
        }

        private List<DpkgPackage> Named()
        {
            var found = new List<DpkgPackage>();
            foreach (string name in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    // A pattern that is not one ('x[') is this name's error; the other names go on.
                    ForItem(name, () =>
                    {
                        var pattern = Names.Pattern(name, WildcardOptions.None);
                        found.AddRange(database!.Packages.Where(p => p.IsInstalled && pattern.IsMatch(p.Name)).Select(p => database.Find(p.Name)).Distinct());
                    });
                    continue;
                }
                ForItem(name, () => found.Add(database!.Find(name)));
            }
            return found;
        }

        private List<DpkgPackage> Owners()
        {
            var found = new List<DpkgPackage>();
            foreach (string path in Path)
            {
                ForItem(path, () =>
                {
                    string inRoot = PathInRoot(path);
                    var owners = database!.Owners(inRoot);
                    if (owners.Count == 0)
                    {
                        throw new OsvException(ErrorIds.DebianFileNotOwned, OsvErrorKind.ObjectNotFound,
                            $"no installed Debian package owns '{inRoot}'; name the package with -Name, or add the file with Add-OsvBinary.", path);
                    }
                    found.AddRange(owners);
                });
            }
            return found;
        }

        // A host path as the path inside -Root it names (under a root, an absolute path is one of the root's).
        private string PathInRoot(string path)
        {
            string root = database!.Root.Root;
            string full = root == "/" || !path.StartsWith("/", StringComparison.Ordinal) ? ResolveNewPath(path) : path;
            if (root != "/" && full.StartsWith(root + "/", StringComparison.Ordinal))
            {
                full = full.Substring(root.Length);
            }
            string? why = DpkgFileList.Check(full);
            return why == null ? full : throw new OsvException(ErrorIds.DebianPathInvalid, OsvErrorKind.InvalidArgument, why + ".", path);
        }

        private void Carry(DebianPackagePlan plan)
        {
            var package = plan.Package;
            foreach (var error in plan.Errors)
            {
                WriteFailure(error, error.Target);
            }
            foreach (string warning in plan.Warnings)
            {
                WriteWarning(warning);
            }
            string why = plan.NeededBy == null ? "" : $", needed by {plan.NeededBy.Name}";
            WriteVerbose($"{package.Name} {package.Version} ({package.Section}{why}): {plan.Planned.Count} files, {plan.Changes} to write, {plan.Excluded} left out.");
            startable.AddRange(plan.Planned.Where(f => f.Kind == DebianFileKind.Program && f.BootCommand != null));
            if (plan.NeededBy == null)
            {
                named.Add(package.Name);
            }
            if (plan.Changes == 0)
            {
                results.AddRange(plan.Planned);
                return;
            }
            long bytes = plan.Planned.Where(f => f.Action != FileAction.Unchanged).Sum(f => f.Size);
            if (ShouldProcess($"{package.Name} {package.Version}{why}", $"Add {plan.Changes} files ({bytes / 1048576.0:0.0} MiB) to the project '{projectPath}'"))
            {
                ForItem(package.Name, () => results.AddRange(carrier!.Apply(plan)));
            }
        }

        protected override void EndProcessing()
        {
            try
            {
                carrier?.Complete();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                ThrowFailure(new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError,
                    $"the files carried into the project could not be flushed to the disk: {e.Message}", null, e), null);
            }
            catch (OsvException e)
            {
                // The one sync of the project's file system failed (the writer says which folder).
                ThrowFailure(e, e.Target);
            }
            WarnFromVerdicts();
            if (LinuxLinker)
            {
                StartOnLinuxLinker();
            }
            WriteObject(results, enumerateCollection: true);
        }

        // The project's config sets that start a program carried here for Linux's linker are made to start it through that linker.
        private void StartOnLinuxLinker()
        {
            try
            {
                var rewrite = LinuxLinkerBootCommands.Plan(projectPath, startable.Select(f => (f.GuestPath, f.BootCommand!)));
                if (rewrite == null)
                {
                    return;
                }
                string sets = string.Join(", ", rewrite.Changes.Select(c => $"'{c.ConfigSet}'"));
                if (!ShouldProcess(ProjectStore.RunPath(projectPath), $"Start the programs of config set(s) {sets} on Linux's dynamic linker"))
                {
                    return;
                }
                rewrite.Apply();
                foreach (var change in rewrite.Changes)
                {
                    WriteVerbose($"Config set '{change.ConfigSet}' starts its program on Linux's dynamic linker: {change.After}");
                }
            }
            catch (OsvException e)
            {
                WriteFailure(e, e.Target);
            }
        }

        // One warning per carried program a user starts (the named packages' programs, and those in the command folders) that will not start on OSv's linker, as Add-OsvBinary warns (Test-OsvBinary's verdict).
        private void WarnFromVerdicts()
        {
            if (compatibility == null)
            {
                return;
            }
            var programs = results.Where(f => f.Kind == DebianFileKind.Program
                    && ((f.Package != null && named.Contains(f.Package)) || CommandFolders.Any(d => f.GuestPath.StartsWith(d, StringComparison.Ordinal)))).GroupBy(f => f.SourcePath).Select(g => g.First()).ToList();
            var reports = compatibility.CheckMany(programs.Select(p => (p.SourcePath, (IReadOnlyList<string>?)null)).ToList(), CancellationToken);
            VerdictWarnings.Write(this, reports, _ => LinuxLinker ? OsvRunWay.LinuxLinker : OsvRunWay.OsvLinker,
                "carry it with -LinuxLinker (the project's config sets that start it then start it on that linker).");
        }
    }
}
