using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Rofs;
using OsvPS.Core.Packaging;

namespace OsvPS.Core.Building
{
    /// <summary>
    /// Finds the program each command of a config set boots in the image's tree, as OSv looks it up
    /// (core/elf.cc, program::load_object): a name without '/' in <c>/</c> then <c>/usr/lib</c>; a path as
    /// it is, relative ones from <c>/</c>, symlinks followed. A missing one is refused at build time rather than
    /// found at boot as "Failed to load object".
    /// </summary>
    internal static class BootPrograms
    {
        /// <summary>OSv's library search path for names without '/' (core/elf.cc, program::program).</summary>
        private static readonly string[] SearchPath = { "/", "/usr/lib/" };

        private const int MaxSymlinks = 40;

        /// <summary>
        /// Checks the config sets <paramref name="projectName"/> defines and those <paramref name="commandLine"/>
        /// runs (<c>runscript /run/&lt;name&gt;</c>). Sets that only required packages define, and that this image
        /// does not run, are theirs to get right.
        /// </summary>
        public static void CheckImage(ComposedTree composed, string projectName, string commandLine)
        {
            var run = new HashSet<string>(RunScriptNames(commandLine), StringComparer.Ordinal);
            Check(composed.Tree, composed.ConfigSets.Where(s => s.Package == projectName || run.Contains(s.Name)));
        }

        /// <summary>Refuses the first set whose boot command names a program <paramref name="tree"/> does not hold.</summary>
        public static void Check(ImageTree tree, IEnumerable<ResolvedConfigSet> sets)
        {
            foreach (var set in sets)
            {
                foreach (var command in OsvCommandGrammar.ParseBootCommand(set.BootCommand))
                {
                    // Leading words starting with '-' are runscript options (core/commands.cc, runscript_process_options).
                    var program = command.Words.FirstOrDefault(w => !w.Value.StartsWith("-", StringComparison.Ordinal));
                    if (program == null)
                    {
                        throw new OsvException(ErrorIds.BootCommandInvalid, OsvErrorKind.InvalidData,
                            $"config set '{set.Name}' of {set.Package}: the command '{command}' has options and no program.", set.Name);
                    }
                    // '$NAME' is replaced from the environment when the command runs: nothing to look up now.
                    if (program.Value.IndexOf('$') < 0 && Find(tree, program.Value) == null)
                    {
                        throw NotFound(tree, set, program.Value);
                    }
                }
                CheckScript(tree, set);
            }
        }

        // The script a node or python set runs (relative to '/', the guest's working folder); a java main is a class or a .jar the class path finds.
        private static void CheckScript(ImageTree tree, ResolvedConfigSet set)
        {
            var launch = set.Launch;
            if (launch == null || launch.Shell || launch.Runtime == Runtimes.Java.Name || launch.Main!.IndexOf('$') >= 0)
            {
                return;
            }
            string path = launch.Main.StartsWith("/", StringComparison.Ordinal) ? launch.Main : "/" + launch.Main;
            string? resolved = Resolve(tree, path);
            if (resolved == null || !(tree.Find(resolved) is TreeFile))
            {
                throw new OsvException(ErrorIds.BootProgramNotFound, OsvErrorKind.ObjectNotFound,
                    $"config set '{set.Name}' of {set.Package} runs the {launch.Runtime} script '{launch.Main}', which is not in the image; put it in the project at {path}, or correct 'main' in meta/run.yaml.", launch.Main);
            }
        }

        /// <summary>The guest path OSv would load for the command word <paramref name="program"/>, or null when the tree has no such file.</summary>
        public static string? Find(ImageTree tree, string program)
        {
            var candidates = program.IndexOf('/') >= 0
                ? new[] { program.StartsWith("/", StringComparison.Ordinal) ? program : "/" + program }
                : SearchPath.Select(dir => dir + program);
            foreach (string candidate in candidates)
            {
                string? resolved = Resolve(tree, candidate);
                if (resolved != null && tree.Find(resolved) is TreeFile)
                {
                    return resolved;
                }
            }
            return null;
        }

        /// <summary><paramref name="path"/> with '.', '..' and symlinks resolved in <paramref name="tree"/> (realpath), or null when a part is missing.</summary>
        internal static string? Resolve(ImageTree tree, string path)
        {
            var done = new List<string>();
            var pending = new LinkedList<string>(path.Split('/'));
            int links = 0;
            while (pending.Count > 0)
            {
                string part = pending.First!.Value;
                pending.RemoveFirst();
                if (part.Length == 0 || part == ".")
                {
                    continue;
                }
                if (part == "..")
                {
                    if (done.Count > 0)
                    {
                        done.RemoveAt(done.Count - 1);
                    }
                    continue;
                }
                string here = "/" + string.Join("/", done.Concat(new[] { part }));
                switch (tree.Find(here))
                {
                    case null:
                        return null;
                    case TreeSymlink link:
                        if (++links > MaxSymlinks)
                        {
                            return null;
                        }
                        if (link.Target.StartsWith("/", StringComparison.Ordinal))
                        {
                            done.Clear();
                        }
                        foreach (string targetPart in Enumerable.Reverse(link.Target.Split('/')))
                        {
                            pending.AddFirst(targetPart);
                        }
                        break;
                    default:
                        done.Add(part);
                        break;
                }
            }
            return "/" + string.Join("/", done);
        }

        private static OsvException NotFound(ImageTree tree, ResolvedConfigSet set, string program)
        {
            string looked = program.IndexOf('/') >= 0 ? "" : $" (looked in {string.Join(" and ", SearchPath)})";
            string hint;
            if (program == "runscript")
            {
                hint = "; OSv runs 'runscript' only on the image's command line, not inside a /run file: name the set with -Boot instead";
            }
            else
            {
                string name = program.Substring(program.LastIndexOf('/') + 1);
                var elsewhere = tree.Walk().Where(n => n.Value is TreeFile && n.Key.EndsWith("/" + name, StringComparison.Ordinal)).Select(n => n.Key).Take(3).ToList();
                hint = elsewhere.Count > 0
                    ? $"; the image has {string.Join(", ", elsewhere)}: put the program where the boot command names it, or name it there"
                    : "; add it to the project (Add-OsvBinary), or correct the bootcmd in meta/run.yaml";
            }
            return new OsvException(ErrorIds.BootProgramNotFound, OsvErrorKind.ObjectNotFound,
                $"config set '{set.Name}' of {set.Package} boots '{program}', which is not in the image{looked}{hint}.", program);
        }

        /// <summary>The config sets a command line runs: the <c>/run/&lt;name&gt;</c> of each <c>runscript</c> command.</summary>
        internal static IEnumerable<string> RunScriptNames(string commandLine)
        {
            foreach (var command in OsvCommandGrammar.ParseAsKernel(OsvCommandLine.ApplicationPart(commandLine), out _))
            {
                if (command.Words.Count == 2 && command.Words[0].Value == "runscript" && command.Words[1].Value.StartsWith("/run/", StringComparison.Ordinal))
                {
                    yield return command.Words[1].Value.Substring("/run/".Length);
                }
            }
        }
    }
}
