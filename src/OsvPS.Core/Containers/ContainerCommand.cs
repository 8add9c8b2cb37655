using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Debian;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Containers
{
    /// <summary>The program an image starts, found in its root: what Docker would exec, with links followed inside the root.</summary>
    internal sealed class ContainerProgram
    {
        internal ContainerProgram(IReadOnlyList<string> arguments, string path, string guestPath, string hostPath, bool shellForm, bool unwrapped, string? script = null)
        {
            Script = script;
            Arguments = arguments;
            Path = path;
            GuestPath = guestPath;
            HostPath = hostPath;
            ShellForm = shellForm;
            Unwrapped = unwrapped;
        }

        /// <summary>argv as the image gives it (Entrypoint then Cmd; a simple shell-form command split into its words).</summary>
        public IReadOnlyList<string> Arguments { get; }
        /// <summary>
        /// Where argv[0] was found (<c>/usr/bin/redis-server</c>): what the boot command names, so that a program that
        /// looks at its own name (redis-server is a link to redis-check-rdb) sees the name it was started by.
        /// </summary>
        public string Path { get; }
        /// <summary>The program's file in the image, every link followed (inside the root).</summary>
        public string GuestPath { get; }
        /// <summary>The program's file in the unpacked root.</summary>
        public string HostPath { get; }
        /// <summary>The script argv[0] named, when it is one (<c>#!</c>): the program is then its interpreter, as Linux's exec makes it.</summary>
        public string? Script { get; }
        /// <summary>True when the program is a shell (a shell-form command kept, or a shell script).</summary>
        public bool IsShell => ShellForm || Script != null && ContainerCommand.IsShell(Path);
        /// <summary>True when the image runs its command through <c>/bin/sh -c</c> and it was kept so.</summary>
        public bool ShellForm { get; }
        /// <summary>True when a shell-form command was simple words, and was run without the shell.</summary>
        public bool Unwrapped { get; }
    }

    /// <summary>
    /// Docker's rules for what an image runs (the OCI image spec's config: Entrypoint, Cmd, Env, WorkingDir): Entrypoint
    /// then Cmd as its arguments, only Cmd without an Entrypoint; argv[0] without a '/' looked up in the image's PATH, a
    /// relative one taken from WorkingDir; every link followed inside the image's root, never out of it.
    /// </summary>
    internal static class ContainerCommand
    {
        /// <summary>The PATH Docker gives a container whose image sets none.</summary>
        public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

        private static readonly string[] Shells = { "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "sh", "bash", "/bin/dash", "/bin/ash" };

        /// <summary>Entrypoint then Cmd; only Cmd without an Entrypoint.</summary>
        public static IReadOnlyList<string> Arguments(IReadOnlyList<string> entrypoint, IReadOnlyList<string> cmd)
            => entrypoint.Count > 0 ? entrypoint.Concat(cmd).ToList() : cmd.ToList();

        /// <summary>True for <c>sh -c '...'</c>, what Docker writes for a shell-form ENTRYPOINT or CMD.</summary>
        public static bool IsShellForm(IReadOnlyList<string> arguments)
            => arguments.Count >= 3 && IsShell(arguments[0]) && arguments[1] == "-c";

        public static bool IsShell(string program) => Array.IndexOf(Shells, program) >= 0;

        /// <summary>
        /// The words of a shell command that holds nothing a shell would interpret (no quotes, variables, redirections,
        /// operators or globs), with a leading <c>exec</c> dropped; null when the shell is needed.
        /// </summary>
        public static IReadOnlyList<string>? SimpleWords(string script)
        {
            if (script.Any(c => !(char.IsLetterOrDigit(c) && c < 128) && "/._-+=@%:, \t".IndexOf(c) < 0))
            {
                return null;
            }
            var words = script.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).ToList();
            if (words.Count > 0 && words[0] == "exec")
            {
                words.RemoveAt(0);
            }
            // 'A=b prog' sets env for the command: a shell's job.
            return words.Count == 0 || words[0].Contains('=') ? null : words;
        }

        /// <summary>The image's PATH from its Env (Docker's default when it sets none).</summary>
        public static string SearchPath(IReadOnlyList<string> env)
            => env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?.Substring(5) ?? DefaultPath;

        /// <summary>
        /// Finds the program of <paramref name="arguments"/> in <paramref name="root"/>: its resolved path in the image,
        /// or an error saying where it was looked for.
        /// </summary>
        public static ContainerProgram Resolve(Sysroot root, IReadOnlyList<string> arguments, IReadOnlyList<string> env, string? workingDir, string image)
        {
            if (arguments.Count == 0)
            {
                throw new OsvException(ErrorIds.ContainerCommandMissing, OsvErrorKind.InvalidData,
                    $"'{image}' says nothing to run: its config has neither Entrypoint nor Cmd.", image);
            }
            bool shell = IsShellForm(arguments);
            bool unwrapped = false;
            if (shell && arguments.Count == 3 && SimpleWords(arguments[2]) is IReadOnlyList<string> words)
            {
                arguments = words;
                shell = false;
                unwrapped = true;
            }
            string folder = WorkingFolder(workingDir);
            var program = Find(root, arguments, env, folder, image);
            var interpreter = Shebang(program.HostPath);
            if (interpreter == null)
            {
                return new ContainerProgram(arguments, program.Path, program.GuestPath, program.HostPath, shell, unwrapped);
            }
            // As Linux's exec does: the interpreter, its one optional argument, the script as it was found, then the rest.
            var argv = new List<string> { interpreter.Value.Path };
            if (interpreter.Value.Argument != null)
            {
                argv.Add(interpreter.Value.Argument);
            }
            argv.Add(program.Path);
            argv.AddRange(arguments.Skip(1));
            var found = Find(root, argv, env, folder, image);
            return new ContainerProgram(argv, found.Path, found.GuestPath, found.HostPath, shell, unwrapped, program.Path);
        }

        // argv[0] of arguments, found: (as found, resolved, host file).
        private static (string Path, string GuestPath, string HostPath) Find(Sysroot root, IReadOnlyList<string> arguments, IReadOnlyList<string> env, string folder, string image)
        {
            string name = arguments[0];
            IEnumerable<string> candidates = name.Contains('/')
                ? new[] { Sysroot.Join(folder, name) }
                : SearchPath(env).Split(':').Where(p => p.StartsWith("/", StringComparison.Ordinal)).Select(p => Sysroot.Join(p, name));
            var tried = new List<string>();
            foreach (string candidate in candidates)
            {
                tried.Add(candidate);
                string? resolved = root.Resolve(candidate);
                if (resolved != null && root.TypeOf(resolved) == SysrootEntryType.Regular && IsExecutable(root.Host(resolved)))
                {
                    return (candidate, resolved, root.Host(resolved));
                }
            }
            throw new OsvException(ErrorIds.ContainerProgramNotFound, OsvErrorKind.ObjectNotFound,
                $"'{image}' runs '{name}', which is not an executable file in the image (looked for {string.Join(", ", tried)}).", image);
        }

        /// <summary>The interpreter a <c>#!</c> line names, and its one argument (Linux reads at most 256 bytes of it); null for anything else.</summary>
        public static (string Path, string? Argument)? Shebang(string host)
        {
            var head = new byte[256];
            int read;
            using (var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1))
            {
                read = IO.StreamReading.ReadFully(stream, head, 0, head.Length);
            }
            if (read < 3 || head[0] != '#' || head[1] != '!')
            {
                return null;
            }
            int end = Array.IndexOf(head, (byte)'\n', 2, read - 2);
            string line = System.Text.Encoding.ASCII.GetString(head, 2, (end < 0 ? read : end) - 2).Trim(' ', '\t', '\r');
            int space = line.IndexOfAny(new[] { ' ', '\t' });
            string path = space < 0 ? line : line.Substring(0, space);
            string rest = space < 0 ? "" : line.Substring(space).Trim(' ', '\t');
            return path.Length == 0 ? ((string, string?)?)null : (path, rest.Length == 0 ? null : rest);
        }

        /// <summary>WorkingDir as an absolute plain path ("/" when the image sets none).</summary>
        public static string WorkingFolder(string? workingDir)
            => string.IsNullOrEmpty(workingDir) ? "/" : Sysroot.Join("/", workingDir!);

        private static bool IsExecutable(string host) => ((IO.UnixFile.Stat(host, noFollow: true)?.Permissions ?? 0) & 0x49) != 0;
    }
}
