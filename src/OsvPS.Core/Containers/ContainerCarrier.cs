using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Debian;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Projects;

namespace OsvPS.Core.Containers
{
    /// <summary>Options of one Add-OsvContainerImage call.</summary>
    public sealed class ContainerCarryOptions
    {
        /// <summary>The config set that starts the image's program (default <c>default</c>).</summary>
        public string ConfigSet { get; set; } = BootCommands.DefaultSet;
        /// <summary>Optional content to carry too (documentation, man pages, locales).</summary>
        public DebianContent Include { get; set; }
        /// <summary>Replace what the project holds at a path, and a config set of that name.</summary>
        public bool Force { get; set; }
        /// <summary>The kernel ELF the program is checked against (<see cref="OsvCompatibility"/>); null: its libraries only.</summary>
        public string? KernelPath { get; set; }
        /// <summary>osv.bootstrap's libgcc_s symbols, for the check.</summary>
        public DynamicSymbols? LibGcc { get; set; }
    }

    /// <summary>What carrying one image would do, decided and checked, nothing written yet.</summary>
    public sealed class ContainerPlan
    {
        internal ContainerPlan(OsvContainerImage result, ConfigSetChange configSet, BinaryPlacer placer, Placement? placement, List<ProjectEntry> entries)
        {
            Result = result;
            ConfigSet = configSet;
            Placer = placer;
            Placement = placement;
            Entries = entries;
        }

        /// <summary>The image as it will be in the project.</summary>
        public OsvContainerImage Result { get; }
        public ConfigSetChange ConfigSet { get; }
        /// <summary>Entries (files, links, folders) to write or replace.</summary>
        public int Changes => Entries.Count(e => e.Action != FileAction.Unchanged) + (Placement?.Planned.Count(f => f.Action != FileAction.Unchanged) ?? 0);
        internal BinaryPlacer Placer { get; }
        internal Placement? Placement { get; }
        internal List<ProjectEntry> Entries { get; }
    }

    /// <summary>
    /// Carries an unpacked container image into a project: the image's whole tree (files, links, folders) at its own
    /// paths, but for what a unikernel never reads (<see cref="NeverRead"/>, and documentation, man pages and locales
    /// unless asked for); the image's program (Entrypoint + Cmd, found as Docker finds it, <see cref="ContainerCommand"/>)
    /// checked with <see cref="OsvCompatibility"/> against the image's own root and started the way the verdict
    /// recommends: OSv's linker, with the libraries the program needs also at <c>/usr/lib/&lt;soname&gt;</c> where
    /// that linker looks (through <see cref="BinaryPlacer"/>), or the image's own <c>ld-linux-x86-64.so.2</c>; and a
    /// config set with the image's Env. Everything is decided and written by the placer's <see cref="ProjectWriter"/>.
    /// </summary>
    public static class ContainerCarrier
    {
        /// <summary>Paths of an image a unikernel never reads, with why.</summary>
        internal static readonly IReadOnlyList<(string Path, string Reason)> NeverRead = new[]
        {
            ("/var/cache/apt", "apt's download cache: a unikernel never runs apt"),
            ("/var/lib/apt/lists", "apt's package lists: a unikernel never runs apt"),
            ("/var/log", "the logs of the image's build"),
            ("/tmp", "OSv mounts a ramfs over /tmp at boot"),
            ("/dev", "OSv mounts its devfs over /dev at boot"),
            ("/proc", "OSv mounts its procfs over /proc at boot"),
            ("/sys", "OSv mounts its sysfs over /sys at boot"),
            ("/run", "run-time state of the image's build; the image's /run holds OsvPS's config set files"),
            ("/meta", "a project's meta folder is never part of the guest"),
        };

        /// <summary>Why <paramref name="guest"/> is left out with <paramref name="include"/>, with the path of the rule; null when it is carried.</summary>
        internal static (string Path, string Reason)? LeftOut(string guest, DebianContent include)
        {
            foreach (var (path, reason) in NeverRead)
            {
                if (guest == path || guest.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    return (path, reason);
                }
            }
            var content = DebianLayout.ContentOf(guest);
            if ((content & ~include) != DebianContent.None)
            {
                string prefix = DebianLayout.SelfAndFolders(guest).Last(p => DebianLayout.ContentOf(p) == content);
                return (prefix, $"{content.ToString().ToLowerInvariant()} (-Include {content})");
            }
            return null;
        }

        public static ContainerPlan Plan(ContainerImage image, string root, string projectPath, ContainerCarryOptions options)
        {
            var config = image.Config;
            var sysroot = new Sysroot(root);
            var warnings = new List<string>();
            var program = ContainerCommand.Resolve(sysroot, ContainerCommand.Arguments(config.Entrypoint, config.Cmd), config.Env, config.WorkingDir, image.Source.Text);
            var search = new ResolverOptions { Root = sysroot.Root };
            var resolver = new DependencyResolver(search);
            var placer = new BinaryPlacer(resolver, projectPath, new DependencyResolver(OsvCompatibility.LinuxOptions(search)));
            var (way, interpreter) = Verdict(program, resolver, options, warnings);
            Placement? placement = null;
            if (way == OsvRunWay.OsvLinker && interpreter != null)
            {
                // OSv's linker looks for libraries in / and /usr/lib only (core/elf.cc): the program's go there too.
                placement = placer.Plan(program.HostPath, new PlacementOptions { GuestPath = program.GuestPath, Force = options.Force, SkipMissing = true });
                warnings.AddRange(placement.Warnings);
            }
            string start = way == OsvRunWay.LinuxLinker
                ? LinuxLinkerLayout.BootCommand(interpreter!, new string[0], program.Path)
                : OsvCommandGrammar.Word(program.Path);
            string boot = string.Join(" ", new[] { start }.Concat(program.Arguments.Skip(1).Select(OsvCommandGrammar.Word)));
            Warn(config, program, warnings, options.ConfigSet);
            var env = Env(config.Env, warnings);

            var writer = placer.Writer;
            var planned = new HashSet<string>(placement?.Planned.Select(f => f.GuestPath) ?? new string[0], StringComparer.Ordinal);
            var entries = new List<ProjectEntry>();
            var leftOut = new SortedDictionary<string, (string Reason, int Count)>(StringComparer.Ordinal);
            int files = placement?.Planned.Count() ?? 0;
            long bytes = placement?.Planned.Sum(f => f.Size) ?? 0;
            foreach (var (guest, host, status) in Walk(sysroot.Root, "", options.Include, leftOut))
            {
                if (planned.Contains(guest))
                {
                    continue;
                }
                switch (status.Type)
                {
                    case UnixFileType.Directory:
                        entries.Add(writer.PlanFolder(guest, host, options.Force));
                        break;
                    case UnixFileType.SymbolicLink:
                        entries.Add(writer.PlanLink(guest, DebianLayout.RelativeTarget(guest, SymbolicLink.ReadTarget(host)), host, options.Force));
                        break;
                    case UnixFileType.Regular:
                        entries.Add(writer.PlanFile(guest, new HostFileContent(host, status), options.Force));
                        files++;
                        bytes += status.Size;
                        break;
                    default:
                        Count(leftOut, guest, "neither a file, a folder nor a link");
                        break;
                }
            }
            var set = ConfigSetChange.Plan(projectPath, new ConfigSet(options.ConfigSet, boot, env), options.Force);
            var result = new OsvContainerImage(image.Source.Text, image.Digest, set.ProjectPath, options.ConfigSet, boot, way,
                config.ExposedPorts, files, bytes, leftOut.Select(l => $"{l.Key}: {l.Value.Reason}, {l.Value.Count} entries"), warnings, sysroot.Root);
            return new ContainerPlan(result, set, placer, placement, entries);
        }

        /// <summary>Writes what <paramref name="plan"/> decided, makes it durable, then writes the config set.</summary>
        public static OsvContainerImage Apply(ContainerPlan plan)
        {
            if (plan.Placement != null)
            {
                plan.Placer.Apply(plan.Placement);
            }
            foreach (var entry in plan.Entries)
            {
                plan.Placer.Writer.Apply(entry);
            }
            plan.Placer.Complete();
            plan.ConfigSet.Apply();
            return plan.Result;
        }

        // The way the verdict recommends, and the program's interpreter (null: not dynamically linked).
        private static (OsvRunWay, string?) Verdict(ContainerProgram program, DependencyResolver resolver, ContainerCarryOptions options, List<string> warnings)
        {
            ElfFile elf;
            try
            {
                elf = resolver.Read(program.HostPath);
            }
            catch (OsvException e)
            {
                warnings.Add($"'{program.GuestPath}' is not an ELF program OSv starts ({e.Message}); it is carried, and the config set names it, but OSv will not run it.");
                return (OsvRunWay.None, null);
            }
            string? interpreter = elf.Kind == ElfKind.StaticExecutable || elf.Kind == ElfKind.Other ? null : elf.Interpreter ?? ElfFile.StandardInterpreter;
            if (options.KernelPath == null)
            {
                var missing = interpreter == null ? new List<ResolvedLibrary>() : resolver.Resolve(program.HostPath).Missing.ToList();
                if (missing.Count == 0)
                {
                    warnings.Add($"'{program.GuestPath}' was not checked against an OSv kernel (the repository's osv-loader has none beside it: Save-OsvImage brings it); it is started with OSv's linker.");
                    return (OsvRunWay.OsvLinker, interpreter);
                }
                bool linux = OsvCompatibility.LinuxLinkerProblem(new DependencyResolver(OsvCompatibility.LinuxOptions(new ResolverOptions { Root = resolver.Root })), interpreter!, out _) == null;
                warnings.Add($"'{program.GuestPath}' needs {string.Join(", ", missing.Select(m => m.Name))}, which OSv's linker would not find; " +
                    (linux ? "it is started with the image's own Linux dynamic linker." : "it will not start."));
                return (linux ? OsvRunWay.LinuxLinker : OsvRunWay.None, interpreter);
            }
            var check = new OsvCompatibility(resolver, new DependencyResolver(OsvCompatibility.LinuxOptions(new ResolverOptions { Root = resolver.Root })), options.KernelPath, options.LibGcc)
                .Check(program.HostPath);
            var way = check.RecommendedWay;
            if (way == OsvRunWay.None)
            {
                string why = check.OsvLinkerReason == check.LinuxLinkerReason ? $"{check.OsvLinkerReason}, whichever linker loads it"
                    : $"on OSv's linker, {check.OsvLinkerReason}; on Linux's, {check.LinuxLinkerReason}";
                warnings.Add($"OSv cannot run '{program.GuestPath}': {why}. It is carried all the same, and started with OSv's linker.");
                return (OsvRunWay.OsvLinker, interpreter);
            }
            if (check.WarningFor(way) is string warning)
            {
                warnings.Add(warning);
            }
            return (way, interpreter);
        }

        private static void Warn(ContainerConfig config, ContainerProgram program, List<string> warnings, string configSet)
        {
            if (program.Unwrapped)
            {
                warnings.Add($"the image runs its command through a shell ('/bin/sh -c'); the command is plain words, so OSv runs '{program.Path}' itself, without the shell.");
            }
            else if (program.ShellForm)
            {
                warnings.Add($"the image runs its command through a shell ('{string.Join(" ", program.Arguments)}'): OSv has no fork or exec, so the shell can run only its built-in commands; " +
                    "write the program and its arguments as the image's Entrypoint/Cmd (exec form) instead.");
            }
            if (program.Script != null)
            {
                warnings.Add($"'{program.Script}' is a script: OSv starts its interpreter '{program.Path}' with it, as Linux's exec would" +
                    (program.IsShell ? "; a shell script runs only the shell's built-in commands on OSv (no fork or exec), so what it starts will not run." : "."));
            }
            if (!string.IsNullOrEmpty(config.User) && config.User != "root" && config.User != "0" && config.User != "0:0")
            {
                warnings.Add($"the image runs as user '{config.User}': OSv has no users, so the program runs with every right in the guest.");
            }
            if (config.Volumes.Count > 0)
            {
                warnings.Add($"the image declares volumes ({string.Join(", ", config.Volumes)}): OSv mounts none; the image's files are read-only, and only /tmp (a ramfs) is writable.");
            }
            if (config.Healthcheck != null && !(config.Healthcheck.Test.Count > 0 && config.Healthcheck.Test[0] == "NONE"))
            {
                warnings.Add($"the image has a health check ({string.Join(" ", config.Healthcheck.Test)}): nothing runs it in a unikernel; check the forwarded port instead.");
            }
            string folder = ContainerCommand.WorkingFolder(config.WorkingDir);
            if (folder != "/")
            {
                warnings.Add($"the image works in '{folder}', but a config set cannot change the folder (OSv's runscript takes only --env; --cwd is a loader option): " +
                    $"start it with -CommandLine '--cwd={folder} runscript /run/{configSet}' when the program opens relative paths.");
            }
        }

        // The image's Env as the config set's; PATH too (Docker gives it to the program, which may look things up with it).
        private static SortedDictionary<string, string> Env(IReadOnlyList<string> entries, List<string> warnings)
        {
            var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (string entry in entries)
            {
                int eq = entry.IndexOf('=');
                if (eq <= 0)
                {
                    warnings.Add($"the image's Env entry '{entry}' is not NAME=value; it is left out.");
                    continue;
                }
                var one = new Dictionary<string, string> { [entry.Substring(0, eq)] = entry.Substring(eq + 1) };
                try
                {
                    RunYaml.ValidateEnv(one, "the image's Env", soft: true);
                    env[entry.Substring(0, eq)] = entry.Substring(eq + 1);
                }
                catch (OsvException e)
                {
                    warnings.Add(e.Message + " It is left out of the config set.");
                }
            }
            return env;
        }

        // The root's entries, folders before what they hold, in ordinal order, links not followed; what is left out is counted, not entered.
        private static IEnumerable<(string Guest, string Host, UnixFileStatus Status)> Walk(string root, string folder, DebianContent include,
            SortedDictionary<string, (string Reason, int Count)> leftOut)
        {
            foreach (string host in Directory.EnumerateFileSystemEntries(root + folder).OrderBy(p => p, StringComparer.Ordinal))
            {
                string guest = folder + "/" + Path.GetFileName(host);
                var status = UnixFile.Stat(host, noFollow: true);
                if (status == null)
                {
                    continue;
                }
                if (LeftOut(guest, include) is var (path, reason))
                {
                    Count(leftOut, path, reason, status.Type == UnixFileType.Directory ? CountEntries(host) : 1);
                    continue;
                }
                yield return (guest, host, status);
                if (status.Type == UnixFileType.Directory)
                {
                    foreach (var inner in Walk(root, guest, include, leftOut))
                    {
                        yield return inner;
                    }
                }
            }
        }

        private static int CountEntries(string folder)
            => 1 + Directory.EnumerateFileSystemEntries(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Count();

        private static void Count(SortedDictionary<string, (string Reason, int Count)> leftOut, string path, string reason, int count = 1)
            => leftOut[path] = (reason, (leftOut.TryGetValue(path, out var was) ? was.Count : 0) + count);
    }
}
