using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Packaging;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Debian
{
    /// <summary>One config set whose boot command now starts its program on Linux's dynamic linker.</summary>
    public sealed class LinuxLinkerBootChange
    {
        internal LinuxLinkerBootChange(string configSet, string before, string after)
        {
            ConfigSet = configSet;
            Before = before;
            After = after;
        }

        public string ConfigSet { get; }
        public string Before { get; }
        public string After { get; }
    }

    /// <summary>
    /// The native config sets of a project whose commands start a program carried for Linux's dynamic linker
    /// (Add-OsvDebianPackage -LinuxLinker), rewritten to start it through that linker: the words that start it
    /// (<c>/lib64/ld-linux-x86-64.so.2</c>, and <c>--library-path</c> when its libraries need one) go in front of the
    /// program word, the rest of the command stays as written. A command already on the linker is left as it is,
    /// so doing it twice changes nothing. The program word is found as OSv finds it (a name without '/' in <c>/</c>
    /// then <c>/usr/lib</c>), links in the project followed. Planned (nothing written), then applied.
    /// </summary>
    public sealed class LinuxLinkerBootCommands
    {
        private static readonly string[] SearchPath = { "/", "/usr/lib/" };

        private LinuxLinkerBootCommands(string projectPath, IReadOnlyList<LinuxLinkerBootChange> changes, string text)
        {
            ProjectPath = projectPath;
            Changes = changes;
            Text = text;
        }

        public string ProjectPath { get; }
        public IReadOnlyList<LinuxLinkerBootChange> Changes { get; }
        internal string Text { get; }

        /// <summary>
        /// The rewrite of the project's run.yaml for <paramref name="programs"/> (each program's guest path and the
        /// command that starts it on Linux's linker, ending with that path); null when no config set starts one.
        /// </summary>
        public static LinuxLinkerBootCommands? Plan(string projectPath, IEnumerable<(string GuestPath, string BootCommand)> programs)
        {
            string full = Path.GetFullPath(projectPath);
            string runPath = ProjectStore.RunPath(full);
            if (UnixFile.Stat(runPath, noFollow: true) == null)
            {
                return null;
            }
            var project = new Sysroot(full);
            var prefixes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (guest, boot) in programs)
            {
                string? prefix = Prefix(boot);
                if (prefix != null && project.Resolve(guest) is string resolved)
                {
                    prefixes[resolved] = prefix;
                }
            }
            if (prefixes.Count == 0)
            {
                return null;
            }
            var config = RunYaml.Parse(ProjectStore.ReadText(runPath), runPath);
            var changes = new List<LinuxLinkerBootChange>();
            var sets = config.ConfigSets.Select(set =>
            {
                if (set.BootCommand == null || set.Base != null || set.Launch != null)
                {
                    return set;
                }
                string after = Rewrite(set.BootCommand, word => ProgramOf(project, word) is string p && prefixes.TryGetValue(p, out var x) ? x : null);
                if (after == set.BootCommand)
                {
                    return set;
                }
                OsvCommandLine.Check(after, $"the boot command of config set '{set.Name}'", ErrorIds.BootCommandInvalid);
                changes.Add(new LinuxLinkerBootChange(set.Name, set.BootCommand, after));
                return new ConfigSet(set.Name, after, set.Env);
            }).ToList();
            return changes.Count == 0 ? null : new LinuxLinkerBootCommands(full, changes, RunYaml.Serialize(new RunConfig(config.Runtime, sets, config.DefaultConfigSets)));
        }

        /// <summary>Writes the project's run.yaml, inside the project, never through a link.</summary>
        public void Apply() => ProjectStore.WriteRun(ProjectPath, Text);

        // The words of a linker boot command before its last word (the program): "/lib64/ld-linux-x86-64.so.2 ".
        private static string? Prefix(string bootCommand)
        {
            var words = OsvCommandGrammar.ParseBootCommand(bootCommand).SingleOrDefault()?.Words;
            return words == null || words.Count < 2 ? null : bootCommand.Substring(0, words[words.Count - 1].Start);
        }

        // Each command's program word (after runscript's '-' options) gets the prefix its program needs, if any.
        private static string Rewrite(string bootCommand, Func<OsvWord, string?> prefixOf)
        {
            string result = bootCommand;
            foreach (var command in OsvCommandGrammar.ParseBootCommand(bootCommand).Reverse())
            {
                var program = command.Words.FirstOrDefault(w => !w.Value.StartsWith("-", StringComparison.Ordinal));
                if (program != null && prefixOf(program) is string prefix)
                {
                    result = result.Insert(program.Start, prefix);
                }
            }
            return result;
        }

        // The project path OSv would load for a program word; null for one that names nothing there, or holds '$NAME'.
        private static string? ProgramOf(Sysroot project, OsvWord word)
        {
            string value = word.Value;
            if (value.Length == 0 || value.IndexOf('$') >= 0 || value.IndexOf('\0') >= 0)
            {
                return null;
            }
            var candidates = value.IndexOf('/') >= 0 ? new[] { value.StartsWith("/", StringComparison.Ordinal) ? value : "/" + value } : SearchPath.Select(d => d + value).ToArray();
            foreach (string candidate in candidates)
            {
                if (DpkgFileList.Check(candidate) == null && project.Resolve(candidate) is string resolved && project.TypeOf(resolved) == SysrootEntryType.Regular)
                {
                    return resolved;
                }
            }
            return null;
        }
    }
}
