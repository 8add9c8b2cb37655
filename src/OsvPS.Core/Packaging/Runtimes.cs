using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using YamlDotNet.RepresentationModel;
using YamlDocument = OsvPS.Core.Yaml.YamlDocument;

namespace OsvPS.Core.Packaging
{
    /// <summary>
    /// One of Capstan's interpreted runtimes, carried from the host's Debian package instead of Capstan's prebuilt
    /// packages (openjdk8-zulu-compact1, node-4.4.5, python-2.7, which OSv no longer publishes).
    /// </summary>
    internal sealed class RuntimeKind
    {
        public RuntimeKind(string name, string debianPackage, string interpreter, bool linuxLinker, string interpreterArgsKey, bool hasShell, params string[] keys)
        {
            Name = name;
            DebianPackage = debianPackage;
            Interpreter = interpreter;
            LinuxLinker = linuxLinker;
            InterpreterArgsKey = interpreterArgsKey;
            HasShell = hasShell;
            Keys = keys;
        }

        public string Name { get; }
        /// <summary>The Debian package that brings the interpreter (Debian 12's, for java).</summary>
        public string DebianPackage { get; }
        /// <summary>The interpreter's guest path; for java, <c>bin/java</c> of a folder of <c>/usr/lib/jvm</c> (<see cref="Runtimes.JvmFolder"/>).</summary>
        public string Interpreter { get; }
        /// <summary>
        /// True when the interpreter starts on Linux's dynamic linker: on OSv v0.57, node stops on OSv's linker (an
        /// assertion in /proc/self/maps) and java prints and never ends; python runs on OSv's own.
        /// </summary>
        public bool LinuxLinker { get; }
        public string InterpreterArgsKey { get; }
        public bool HasShell { get; }
        /// <summary>The runtime's own keys of a config set (besides bootcmd, env and base).</summary>
        public IReadOnlyList<string> Keys { get; }

        /// <summary>The command that carries the interpreter into a project.</summary>
        public string CarryCommand(string project)
            => $"Add-OsvDebianPackage {DebianPackage}{(LinuxLinker ? " -LinuxLinker" : "")} -Project {project}";
    }

    /// <summary>Capstan's java, node and python runtimes: their run.yaml keys, and the boot command made from them.</summary>
    internal static class Runtimes
    {
        public const string Native = "native";

        /// <summary>The folder whose sub-folders hold the JVMs Debian installs (<c>/usr/lib/jvm/java-17-openjdk-amd64</c>).</summary>
        public const string JvmFolder = "/usr/lib/jvm";

        /// <summary>Linux's dynamic linker, at the path Add-OsvDebianPackage -LinuxLinker carries it.</summary>
        public const string LinuxLinkerPath = Elf.ElfFile.StandardInterpreter;

        public static readonly RuntimeKind Java = new RuntimeKind("java", "openjdk-17-jre-headless", JvmFolder + "/*/bin/java", true, "jvm_args", false,
            "main", "args", "classpath", "jvm_args", "xms", "xmx");
        public static readonly RuntimeKind Node = new RuntimeKind("node", "nodejs", "/usr/bin/node", true, "node_args", true,
            "main", "args", "node_args", "shell");
        public static readonly RuntimeKind Python = new RuntimeKind("python", "python3", "/usr/bin/python3", false, "python_args", true,
            "main", "args", "python_args", "shell");

        private static readonly RuntimeKind[] All = { Java, Node, Python };

        /// <summary>The runtime named <paramref name="name"/>; null for native and for names no runtime has.</summary>
        public static RuntimeKind? Find(string name) => All.FirstOrDefault(r => r.Name == name);

        public static IEnumerable<string> Names => new[] { Native }.Concat(All.Select(r => r.Name));

        /// <summary>Every key some runtime gives a config set.</summary>
        private static IEnumerable<string> AllKeys => All.SelectMany(r => r.Keys).Distinct();

        /// <summary>
        /// The launch of config set <paramref name="set"/> of a <paramref name="kind"/> run.yaml, or null when the set is
        /// native-style (<c>bootcmd</c>) or inherits (<c>base</c>) and holds none of the runtime's keys. Refuses keys of
        /// another runtime, runtime keys beside <c>bootcmd</c> or <c>base</c>, <c>main</c> with <c>shell</c>, and no <c>main</c>.
        /// </summary>
        public static RuntimeLaunch? Read(YamlDocument doc, RuntimeKind kind, string set, YamlMappingNode body)
        {
            var given = doc.Entries(body).Select(e => e.Key).Where(k => AllKeys.Contains(k)).ToList();
            var foreign = given.Where(k => !kind.Keys.Contains(k)).ToList();
            if (foreign.Count > 0)
            {
                throw doc.Error(doc.Get(body, foreign[0])!, $"config set '{set}': '{foreign[0]}' is not a key of the {kind.Name} runtime; its keys are {string.Join(", ", kind.Keys)}, env and base.",
                    OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid);
            }
            string? other = doc.Get(body, "bootcmd") != null ? "bootcmd" : doc.Get(body, "base") != null ? "base" : null;
            if (other != null)
            {
                if (given.Count > 0)
                {
                    throw doc.Error(doc.Get(body, given[0])!, $"config set '{set}': '{given[0]}' and '{other}' do not go together: " +
                        (other == "base" ? $"a set with 'base' takes the boot command of the set it names; drop {string.Join(", ", given)}, or 'base'."
                                         : $"'bootcmd' is a whole boot command; drop {string.Join(", ", given)}, or 'bootcmd'."),
                        OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid);
                }
                return null;
            }
            bool shell = kind.HasShell && Flag(doc, body, "shell");
            string? main = Value(doc, body, "main");
            var args = Values(doc, body, "args");
            if (shell && (main != null || args.Count > 0))
            {
                throw doc.Error(doc.Get(body, main != null ? "main" : "args")!, $"config set '{set}': 'shell: true' starts the {kind.Name} shell, which takes no 'main' or 'args'.",
                    OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid);
            }
            if (!shell && main == null)
            {
                string what = kind == Java ? "the main class or a .jar (main: demo.Main)" : $"the script (main: /app.{(kind == Node ? "js" : "py")})";
                throw doc.Error(body, $"config set '{set}' of the {kind.Name} runtime has no 'main': name {what}" +
                    (kind.HasShell ? ", or write 'shell: true'." : "."), OsvErrorKind.InvalidData, ErrorIds.BootCommandMissing);
            }
            var launch = new RuntimeLaunch(kind.Name, main, args, Values(doc, body, kind.InterpreterArgsKey),
                kind == Java ? Values(doc, body, "classpath") : null, Value(doc, body, "xms"), Value(doc, body, "xmx"), shell);
            foreach (string word in Words(launch, "/"))
            {
                string? problem = OsvCommandLine.Problem(word);
                if (problem != null)
                {
                    throw doc.Error(body, $"config set '{set}': '{word}' contains {problem}.", OsvErrorKind.InvalidData, ErrorIds.BootCommandInvalid);
                }
            }
            return launch;
        }

        // A single value: a string, a number; not a list or a mapping.
        private static string? Value(YamlDocument doc, YamlMappingNode body, string key)
        {
            var node = doc.Get(body, key);
            if (node != null && !(node is YamlScalarNode))
            {
                throw doc.Error(node, $"'{key}' must be a single value, not a {(node is YamlSequenceNode ? "list" : "mapping")}.", OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid);
            }
            string? value = node == null ? null : doc.Scalar(node, key);
            return string.IsNullOrEmpty(value) ? null : value;
        }

        // A list of values, each one word of the command (a single value is a list of one: Capstan reads lists only).
        private static IReadOnlyList<string> Values(YamlDocument doc, YamlMappingNode body, string key)
        {
            switch (doc.Get(body, key))
            {
                case null:
                    return new string[0];
                case YamlSequenceNode list:
                    return list.Children.Select(c => c is YamlScalarNode ? doc.Scalar(c, key) ?? ""
                        : throw doc.Error(c, $"'{key}' must be a list of values; an item is a {(c is YamlSequenceNode ? "list" : "mapping")}.", OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid)).ToArray();
                case YamlScalarNode _:
                    string? one = Value(doc, body, key);
                    return one == null ? new string[0] : new[] { one };
                case var other:
                    throw doc.Error(other, $"'{key}' must be a list of values, not a mapping.", OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid);
            }
        }

        private static bool Flag(YamlDocument doc, YamlMappingNode body, string key)
        {
            string? value = Value(doc, body, key);
            switch (value)
            {
                case null:
                case "false":
                case "False":
                case "FALSE":
                    return false;
                case "true":
                case "True":
                case "TRUE":
                    return true;
                default:
                    throw doc.Error(doc.Get(body, key)!, $"'{key}' must be true or false, not '{value}'.", OsvErrorKind.InvalidData, ErrorIds.RuntimeKeysInvalid);
            }
        }

        /// <summary>
        /// The boot command of <paramref name="launch"/> with the interpreter at the guest path <paramref name="interpreter"/>,
        /// on Linux's dynamic linker when the runtime needs it. Each word is quoted for OSv's command grammar as needed, so
        /// spaces, ';', '&amp;' and '!' in a value reach the program; '$NAME' is expanded by OSv's runscript, as in a bootcmd.
        /// </summary>
        public static string BootCommand(RuntimeLaunch launch, string interpreter)
        {
            var kind = Find(launch.Runtime) ?? throw new ArgumentException($"'{launch.Runtime}' is not an interpreted runtime", nameof(launch));
            var words = kind.LinuxLinker ? new[] { LinuxLinkerPath } : new string[0];
            return string.Join(" ", words.Concat(Words(launch, interpreter)).Select(OsvCommandGrammar.Word));
        }

        // The interpreter and its arguments, unquoted.
        private static IEnumerable<string> Words(RuntimeLaunch launch, string interpreter)
        {
            yield return interpreter;
            if (launch.Runtime == Java.Name)
            {
                if (launch.Xms != null)
                {
                    yield return "-Xms" + launch.Xms;
                }
                if (launch.Xmx != null)
                {
                    yield return "-Xmx" + launch.Xmx;
                }
                yield return "-cp";
                yield return launch.Classpath.Count == 0 ? "/" : string.Join(":", launch.Classpath);
            }
            // A .jar runs with -jar right before it (jvm_args may say -jar already, anywhere).
            bool jar = launch.Runtime == Java.Name && !launch.Shell && launch.Main!.EndsWith(".jar", StringComparison.Ordinal);
            foreach (string arg in launch.InterpreterArgs.Where(a => !(jar && a == "-jar")))
            {
                yield return arg;
            }
            if (launch.Shell)
            {
                // Both shells start interactive with -i, whether or not the console looks like a terminal.
                yield return "-i";
                yield break;
            }
            if (jar)
            {
                yield return "-jar";
            }
            yield return launch.Main!;
            foreach (string arg in launch.Args)
            {
                yield return arg;
            }
        }
    }
}
