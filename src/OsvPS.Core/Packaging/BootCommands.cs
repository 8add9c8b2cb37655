using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Yaml;

namespace OsvPS.Core.Packaging
{
    /// <summary>A config set with its base resolved: what <c>/run/&lt;Name&gt;</c> holds.</summary>
    public sealed class ResolvedConfigSet
    {
        public ResolvedConfigSet(string package, string name, string bootCommand, IReadOnlyDictionary<string, string> env, RuntimeLaunch? launch = null)
        {
            Launch = launch;
            Package = package;
            Name = name;
            BootCommand = bootCommand;
            Env = env;
        }

        /// <summary>The package whose run.yaml defines the set.</summary>
        public string Package { get; }
        public string Name { get; }
        public string BootCommand { get; }
        public IReadOnlyDictionary<string, string> Env { get; }
        /// <summary>The runtime keys the boot command was made from (a java, node or python set), or null.</summary>
        public RuntimeLaunch? Launch { get; }

        /// <summary>The exact content of <c>/run/&lt;Name&gt;</c>.</summary>
        public string RunScript => BootCommands.RunScript(BootCommand, Env);

        public override string ToString() => Name;
    }

    /// <summary>Makes the boot command of a java, node or python config set <paramref name="set"/> of <paramref name="package"/>.</summary>
    internal delegate string RuntimeCommand(string package, ConfigSet set);

    /// <summary>
    /// The boot-command rules of DESIGN.md: run scripts with soft env, base inheritance across
    /// packages, and the choice of the image's command line.
    /// </summary>
    internal static class BootCommands
    {
        /// <summary>The longest command line the boot code reads (63 sectors less the NUL).</summary>
        public const int MaxCommandLineBytes = OsvDiskLayout.MaxCommandLineBytes;

        /// <summary>The config set an image runs when nothing else is named.</summary>
        public const string DefaultSet = "default";

        /// <summary>
        /// Content of a <c>/run/&lt;name&gt;</c> file: soft env (<c>--env=K?=V </c>, ordinal keys) then the command,
        /// written so that OSv reads it as the user meant it (<see cref="OsvCommandGrammar.ForKernel"/>).
        /// </summary>
        public static string RunScript(string bootCommand, IReadOnlyDictionary<string, string> env)
            => EnvPrefix(env, soft: true) + OsvCommandGrammar.ForKernel(bootCommand);

        private static string EnvPrefix(IReadOnlyDictionary<string, string>? env, bool soft)
        {
            if (env == null || env.Count == 0)
            {
                return "";
            }
            var sb = new StringBuilder();
            foreach (var key in env.Keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                sb.Append(soft ? OsvCommandLine.SoftEnvToken(key, env[key]) : OsvCommandLine.HardEnvToken(key, env[key])).Append(' ');
            }
            return sb.ToString();
        }

        /// <summary>
        /// Resolves every config set of every package, in collection order (a later package's set of
        /// the same name wins). <paramref name="packages"/> pairs each package name with its run.yaml (null when it has none).
        /// <paramref name="runtimeCommand"/> makes the boot command of a java, node or python set (its package, the set).
        /// </summary>
        public static IReadOnlyList<ResolvedConfigSet> ResolveAll(IReadOnlyList<KeyValuePair<string, RunConfig?>> packages, RuntimeCommand? runtimeCommand = null)
        {
            var byPackage = new Dictionary<string, RunConfig?>(StringComparer.Ordinal);
            foreach (var p in packages)
            {
                byPackage[p.Key] = p.Value;
            }
            var result = new Dictionary<string, ResolvedConfigSet>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var p in packages)
            {
                if (p.Value == null)
                {
                    continue;
                }
                foreach (var set in p.Value.ConfigSets)
                {
                    if (!result.ContainsKey(set.Name))
                    {
                        order.Add(set.Name);
                    }
                    result[set.Name] = Resolve(p.Key, set, byPackage, runtimeCommand);
                }
            }
            return order.Select(n => result[n]).ToArray();
        }

        /// <summary>Resolves one set of package <paramref name="package"/>, following <c>base</c> through <paramref name="packages"/>.</summary>
        public static ResolvedConfigSet Resolve(string package, ConfigSet set, IReadOnlyDictionary<string, RunConfig?> packages, RuntimeCommand? runtimeCommand = null)
            => Resolve(package, set, packages, runtimeCommand, new List<string>());

        private static ResolvedConfigSet Resolve(string package, ConfigSet set, IReadOnlyDictionary<string, RunConfig?> packages, RuntimeCommand? runtimeCommand, List<string> chain)
        {
            string here = package + ":" + set.Name;
            if (chain.Contains(here))
            {
                chain.Add(here);
                throw new OsvException(ErrorIds.ConfigSetBaseCycle, OsvErrorKind.InvalidData,
                    $"config set base references form a cycle: {string.Join(" -> ", chain)}.", here);
            }
            chain.Add(here);
            if (set.Launch != null)
            {
                var make = runtimeCommand ?? throw new System.InvalidOperationException("a runtime config set needs the image's tree to find its interpreter");
                return new ResolvedConfigSet(package, set.Name, make(package, set), set.Env, set.Launch);
            }
            if (set.Base == null)
            {
                return new ResolvedConfigSet(package, set.Name, set.BootCommand!, set.Env);
            }
            var reference = BaseReference.Parse(set.Base) ?? throw new OsvException(ErrorIds.ConfigSetBaseInvalid, OsvErrorKind.InvalidData,
                $"config set '{set.Name}' of '{package}': base '{set.Base}' must be '<package>:<config set>'.", set.Base);
            if (!packages.TryGetValue(reference.Package, out var run))
            {
                throw new OsvException(ErrorIds.BasePackageNotFound, OsvErrorKind.ObjectNotFound,
                    $"config set '{set.Name}' of '{package}' inherits from '{set.Base}', but package '{reference.Package}' is not part of the image; add it to 'require' in meta/package.yaml.",
                    set.Base);
            }
            var target = run?.Find(reference.ConfigSet);
            if (target == null)
            {
                string available = run == null ? "it has no run.yaml" : "it has " + string.Join(", ", run.ConfigSets.Select(c => c.Name));
                throw new OsvException(ErrorIds.BaseConfigSetNotFound, OsvErrorKind.ObjectNotFound,
                    $"config set '{set.Name}' of '{package}' inherits from '{set.Base}', but package '{reference.Package}' has no config set '{reference.ConfigSet}' ({available}).",
                    set.Base);
            }
            var inherited = Resolve(reference.Package, target, packages, runtimeCommand, chain);
            var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in inherited.Env)
            {
                env[pair.Key] = pair.Value;
            }
            foreach (var pair in set.Env)
            {
                env[pair.Key] = pair.Value;
            }
            return new ResolvedConfigSet(package, set.Name, set.BootCommand ?? inherited.BootCommand, env, set.BootCommand == null ? inherited.Launch : null);
        }

        /// <summary>
        /// The image's command line: <paramref name="explicitCommandLine"/>; else the <paramref name="boot"/> names;
        /// else <paramref name="defaultSets"/> (config_set_default); else <c>runscript /run/default;</c> when there is
        /// a set 'default' (or <paramref name="availableSets"/> is null); else, as Capstan writes it, an empty command
        /// line: the set is picked at run time (<see cref="RequireConfigSet"/>). <paramref name="env"/> is prepended as
        /// hard env. When <paramref name="availableSets"/> is given, every named set must be in it.
        /// </summary>
        public static string ComposeCommandLine(string? explicitCommandLine, IEnumerable<string>? boot,
            IReadOnlyDictionary<string, string>? env, IEnumerable<string>? defaultSets, IReadOnlyCollection<string>? availableSets)
        {
            if (env != null)
            {
                RunYaml.ValidateEnv(env, "-Env", soft: false);
            }
            if (explicitCommandLine != null)
            {
                OsvCommandLine.Check(explicitCommandLine, "the command line", ErrorIds.CommandLineInvalid);
            }
            string body;
            var bootNames = SplitNames(boot);
            var defaultNames = SplitNames(defaultSets);
            if (!string.IsNullOrEmpty(explicitCommandLine))
            {
                body = explicitCommandLine!;
            }
            else if (bootNames.Count > 0)
            {
                body = RunScripts(bootNames, availableSets, "-Boot");
            }
            else if (defaultNames.Count > 0)
            {
                body = RunScripts(defaultNames, availableSets, "config_set_default");
            }
            else if (availableSets == null || availableSets.Contains(DefaultSet))
            {
                body = RunScripts(new[] { DefaultSet }, availableSets, "the fallback (no -Boot, no config_set_default)");
            }
            else
            {
                if (env?.Count > 0)
                {
                    throw new OsvException(ErrorIds.ConfigSetRequired, OsvErrorKind.InvalidArgument,
                        $"-Env needs a config set to go with: there is no -Boot, no config_set_default and no config set '{DefaultSet}'; " +
                        $"name one with -Boot ({ListOf(availableSets)}), or give -Env at start time.");
                }
                body = "";
            }
            string commandLine = EnvPrefix(env, soft: false) + body;
            CheckLength(commandLine);
            return commandLine;
        }

        /// <summary>
        /// Refuses to run an image whose own command line runs nothing (built with no default config set, as
        /// Capstan builds one): OSv would print "This image has an empty command line. Nothing to run." and stop.
        /// <paramref name="configSets"/> lists the image's <c>/run</c> files for the error; it is called only then.
        /// </summary>
        public static void RequireConfigSet(string imageCommandLine, Func<IReadOnlyList<string>> configSets, string imageName)
        {
            if (OsvCommandLine.HasCommand(imageCommandLine))
            {
                return;
            }
            var sets = configSets();
            string message = sets.Count == 0
                ? $"image '{imageName}' has no command of its own and no config sets; give the command line with -CommandLine."
                : $"image '{imageName}' has no command of its own (its project has no config_set_default and no config set '{DefaultSet}'); " +
                  $"pick a config set with -Boot: {ListOf(sets)}.";
            // No target: the cmdlet aims the error at the image it was given.
            throw new OsvException(ErrorIds.ConfigSetRequired, OsvErrorKind.InvalidArgument, message);
        }

        /// <summary>Refuses a command line the boot code cannot read whole, or that OSv cannot carry.</summary>
        public static void CheckLength(string commandLine)
        {
            OsvDiskLayout.CheckLength(commandLine);
            OsvCommandLine.Check(commandLine, "the command line", ErrorIds.CommandLineInvalid);
        }

        private static string ListOf(IEnumerable<string> names)
        {
            string list = string.Join(", ", names.OrderBy(n => n, StringComparer.Ordinal));
            return list.Length == 0 ? "none" : list;
        }

        private static List<string> SplitNames(IEnumerable<string>? names)
            => (names ?? Enumerable.Empty<string>()).SelectMany(YamlDocument.SplitList).ToList();

        private static string RunScripts(IReadOnlyList<string> names, IReadOnlyCollection<string>? available, string origin)
        {
            var sb = new StringBuilder();
            foreach (string name in names)
            {
                RunYaml.ValidateSetName(name, null);
                if (available != null && !available.Contains(name))
                {
                    throw new OsvException(ErrorIds.ConfigSetNotFound, OsvErrorKind.ObjectNotFound,
                        $"{origin} names config set '{name}', which is not defined; available config sets: {ListOf(available)}.", name);
                }
                sb.Append("runscript /run/").Append(name).Append(';');
            }
            return sb.ToString();
        }
    }
}
