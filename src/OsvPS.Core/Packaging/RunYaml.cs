using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using YamlDotNet.RepresentationModel;
using OsvPS.Core.Yaml;
using YamlDocument = OsvPS.Core.Yaml.YamlDocument;

namespace OsvPS.Core.Packaging
{
    /// <summary>Reads and writes <c>meta/run.yaml</c>.</summary>
    internal static class RunYaml
    {
        private static readonly string[] SetKeys = { "bootcmd", "env", "base" };

        /// <summary>Parses run.yaml text; <paramref name="source"/> names the file in errors.</summary>
        public static RunConfig Parse(string text, string source)
        {
            var doc = YamlDocument.Parse(text, source, ErrorIds.RunYamlInvalid);
            var root = doc.Root;

            string? runtime = doc.Scalar(root, "runtime");
            if (runtime == null)
            {
                throw new OsvException(ErrorIds.RuntimeNotSupported, OsvErrorKind.InvalidData,
                    $"{source}: has no 'runtime'; write 'runtime: native' for a native program.", source);
            }
            var kind = Runtimes.Find(runtime);
            if (runtime != Runtimes.Native && kind == null)
            {
                throw doc.Error(doc.Get(root, "runtime")!, $"'{runtime}' is not a runtime OsvPS knows; use one of {string.Join(", ", Runtimes.Names)}.",
                    OsvErrorKind.InvalidData, ErrorIds.RuntimeNotSupported);
            }

            var sets = new List<ConfigSet>();
            var setsNode = doc.Mapping(root, "config_set");
            if (setsNode != null)
            {
                foreach (var entry in doc.Entries(setsNode))
                {
                    var body = entry.Value as YamlMappingNode
                        ?? throw doc.Error(entry.Value, $"config set '{entry.Key}' must be a mapping with {(kind == null ? "'bootcmd'" : string.Join(", ", kind.Keys.Select(k => "'" + k + "'")) + ", 'bootcmd'")}, 'env' or 'base'.");
                    sets.Add(ReadSet(doc, entry.Key, body, setsNode, kind));
                }
            }
            else if (SetKeys.Concat(kind?.Keys ?? new string[0]).Any(k => doc.Get(root, k) != null))
            {
                // Capstan's short form: the runtime's own bootcmd/env/base make the set "default".
                sets.Add(ReadSet(doc, "default", root, root, kind));
            }

            if (sets.Count == 0 && setsNode == null && doc.Get(root, "config_set") == null && doc.Get(root, "config_set_default") == null)
            {
                // New-OsvProject's template, its boot command still to be written: a project with no config set yet
                // (Get-OsvProject shows it; a build says what to fill in).
                return new RunConfig(runtime, sets);
            }
            if (sets.Count == 0)
            {
                throw new OsvException(ErrorIds.ConfigSetMissing, OsvErrorKind.InvalidData,
                    $"{source}: defines no config set; add one under 'config_set:' with a 'bootcmd'.", source);
            }

            var defaults = doc.List(root, "config_set_default");
            foreach (string name in defaults)
            {
                ValidateSetName(name, source);
            }
            return new RunConfig(runtime, sets, defaults);
        }

        private static ConfigSet ReadSet(YamlDocument doc, string name, YamlMappingNode body, YamlNode at, RuntimeKind? kind)
        {
            ValidateSetName(name, doc, at);
            var launch = kind == null ? null : Runtimes.Read(doc, kind, name, body);
            string? bootCommand = doc.Scalar(body, "bootcmd");
            string? @base = doc.Scalar(body, "base");
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            var envNode = doc.Mapping(body, "env");
            if (envNode != null)
            {
                foreach (var pair in doc.Entries(envNode))
                {
                    env[pair.Key] = doc.Scalar(pair.Value, pair.Key) ?? "";
                }
            }
            try
            {
                ValidateEnv(env, $"config set '{name}'", soft: true);
            }
            catch (OsvException e)
            {
                throw doc.Error(envNode!, e.Message, OsvErrorKind.InvalidData, ErrorIds.EnvInvalid);
            }

            string? problem = bootCommand == null ? null : OsvCommandLine.Problem(bootCommand);
            if (problem != null)
            {
                throw doc.Error(doc.Get(body, "bootcmd")!, $"config set '{name}': bootcmd contains {problem}.",
                    OsvErrorKind.InvalidData, ErrorIds.BootCommandInvalid);
            }
            if (@base != null && BaseReference.Parse(@base) == null)
            {
                throw doc.Error(doc.Get(body, "base")!, $"config set '{name}': base '{@base}' must be '<package>:<config set>' (the colon is required).",
                    OsvErrorKind.InvalidData, ErrorIds.ConfigSetBaseInvalid);
            }
            if (string.IsNullOrWhiteSpace(bootCommand) && @base == null && launch == null)
            {
                throw doc.Error(body, $"config set '{name}' has neither 'bootcmd' nor 'base'; a native config set needs a boot command.",
                    OsvErrorKind.InvalidData, ErrorIds.BootCommandMissing);
            }
            return new ConfigSet(name, string.IsNullOrWhiteSpace(bootCommand) ? null : bootCommand, env, @base, launch);
        }

        private static void ValidateSetName(string name, YamlDocument doc, YamlNode at)
        {
            try
            {
                ValidateSetName(name, null);
            }
            catch (OsvException e)
            {
                throw doc.Error(at, e.Message, OsvErrorKind.InvalidData, ErrorIds.ConfigSetNameInvalid);
            }
        }

        /// <summary>A config set name becomes a file name and a runscript argument: no spaces, slashes or separators.</summary>
        public static void ValidateSetName(string name, string? source)
        {
            if (name.Length == 0 || name == "." || name == ".." || name.Any(c => char.IsWhiteSpace(c) || c == '/' || c == ';' || c == '&' || c == '!' || c == ',' || c == '\0'))
            {
                throw new OsvException(ErrorIds.ConfigSetNameInvalid, OsvErrorKind.InvalidArgument,
                    (source == null ? "" : source + ": ") + $"'{name}' is not a valid config set name: it may not be empty or contain spaces, '/', ',', ';', '&' or '!'.", name);
            }
        }

        /// <summary>
        /// Refuses env that cannot reach the program as written: keys must be <c>[A-Za-z_][A-Za-z0-9_]*</c>;
        /// values printable ASCII (and tab). Soft env (a /run file's) may not hold <c>$</c>: runscript
        /// expands <c>$NAME</c> in it and has no escape (OSv core/commands.cc).
        /// </summary>
        public static void ValidateEnv(IReadOnlyDictionary<string, string> env, string owner, bool soft)
        {
            foreach (var pair in env)
            {
                if (!IsEnvKey(pair.Key))
                {
                    throw new OsvException(ErrorIds.EnvInvalid, OsvErrorKind.InvalidArgument,
                        $"{owner}: env key '{pair.Key}' is not valid: it must be letters, digits and '_', not starting with a digit.", pair.Key);
                }
                string? problem = OsvCommandLine.Problem(pair.Value);
                if (problem != null)
                {
                    throw new OsvException(ErrorIds.EnvInvalid, OsvErrorKind.InvalidArgument,
                        $"{owner}: the value of env key '{pair.Key}' contains {problem}.", pair.Key);
                }
                if (soft && pair.Value.IndexOf('$') >= 0)
                {
                    throw new OsvException(ErrorIds.EnvInvalid, OsvErrorKind.InvalidArgument,
                        $"{owner}: the value of env key '{pair.Key}' contains '$': OSv's runscript replaces '$NAME' in env values and has no escape for it. " +
                        "Give the value with -Env at build or start time instead, where it is passed as written.", pair.Key);
                }
            }
        }

        private static bool IsEnvKey(string key)
        {
            if (key.Length == 0 || (key[0] >= '0' && key[0] <= '9'))
            {
                return false;
            }
            foreach (char c in key)
            {
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                {
                    return false;
                }
            }
            return true;
        }

        /// <summary>Writes <paramref name="config"/> as run.yaml text that <see cref="Parse"/> reads back unchanged.</summary>
        public static string Serialize(RunConfig config)
        {
            var yaml = new YamlWriter()
                .Value("runtime", config.Runtime)
                .Map("config_set", sets =>
                {
                    foreach (var set in config.ConfigSets)
                    {
                        sets.Map(set.Name, body =>
                        {
                            body.Value("bootcmd", set.BootCommand).Value("base", set.Base);
                            if (set.Launch != null)
                            {
                                WriteLaunch(body, set.Launch);
                            }
                            if (set.Env.Count > 0)
                            {
                                body.Map("env", env =>
                                {
                                    foreach (var pair in set.Env)
                                    {
                                        env.Value(pair.Key, pair.Value);
                                    }
                                });
                            }
                        });
                    }
                });
            if (config.DefaultConfigSets.Count > 0)
            {
                yaml.Value("config_set_default", string.Join(",", config.DefaultConfigSets));
            }
            return yaml.ToString();
        }

        private static void WriteLaunch(YamlWriter body, RuntimeLaunch launch)
        {
            var kind = Runtimes.Find(launch.Runtime)!;
            body.Value("main", launch.Main).List("args", launch.Args).List(kind.InterpreterArgsKey, launch.InterpreterArgs).List("classpath", launch.Classpath)
                .Value("xms", launch.Xms).Value("xmx", launch.Xmx).Value("shell", launch.Shell ? "true" : null);
        }

        /// <summary>The run.yaml New-OsvProject writes when no boot command is given: every line explained, nothing guessed.</summary>
        public static string Template(string projectName, string configSetName) =>
$@"# How OSv runs the '{projectName}' project. Fill in a boot command, then build the image.
runtime: native

# Each config set is a named boot command. The image runs the set(s) named by
# config_set_default, or those picked with -Boot at build or run time.
# The project folder is the guest's '/', so a program at <project>/hello runs as /hello.
#
# config_set:
#   {configSetName}:
#     bootcmd: /hello --port 8000
#     env:                       # optional; printable ASCII values, quoted for OSv by OsvPS (no '$')
#       PORT: ""8000""
#   inherited:
#     base: other-package:default   # optional: the boot command of a required package's set
#
# config_set_default: {configSetName}
";
    }

    /// <summary>A parsed <c>base: package:configset</c> reference.</summary>
    internal sealed class BaseReference
    {
        private BaseReference(string package, string configSet)
        {
            Package = package;
            ConfigSet = configSet;
        }

        public string Package { get; }
        public string ConfigSet { get; }

        /// <summary>Null when the text is not of the form <c>package:set</c> with both parts present.</summary>
        public static BaseReference? Parse(string text)
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || colon == text.Length - 1)
            {
                return null;
            }
            return new BaseReference(text.Substring(0, colon).Trim(), text.Substring(colon + 1).Trim());
        }

        public override string ToString() => Package + ":" + ConfigSet;
    }
}
