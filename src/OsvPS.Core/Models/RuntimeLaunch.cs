using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Models
{
    /// <summary>
    /// How a config set of a <c>java</c>, <c>node</c> or <c>python</c> run.yaml starts its program: Capstan's
    /// keys, as written. The boot command is made from them when the image is built, with the interpreter the
    /// image holds.
    /// </summary>
    public sealed class RuntimeLaunch
    {
        public RuntimeLaunch(string runtime, string? main, IEnumerable<string>? args = null, IEnumerable<string>? interpreterArgs = null,
            IEnumerable<string>? classpath = null, string? xms = null, string? xmx = null, bool shell = false)
        {
            Runtime = runtime;
            Main = main;
            Args = (args ?? Enumerable.Empty<string>()).ToArray();
            InterpreterArgs = (interpreterArgs ?? Enumerable.Empty<string>()).ToArray();
            Classpath = (classpath ?? Enumerable.Empty<string>()).ToArray();
            Xms = xms;
            Xmx = xmx;
            Shell = shell;
        }

        /// <summary><c>java</c>, <c>node</c> or <c>python</c>.</summary>
        public string Runtime { get; }
        /// <summary>The script (node, python) or the main class or <c>.jar</c> (java); null for a shell.</summary>
        public string? Main { get; }
        /// <summary>The program's own arguments (<c>args</c>).</summary>
        public IReadOnlyList<string> Args { get; }
        /// <summary>The interpreter's arguments: <c>python_args</c>, <c>node_args</c> or <c>jvm_args</c>.</summary>
        public IReadOnlyList<string> InterpreterArgs { get; }
        /// <summary>java: the class path (<c>classpath</c>; <c>/</c> when empty).</summary>
        public IReadOnlyList<string> Classpath { get; }
        /// <summary>java: the initial heap (<c>xms</c>), as the JVM writes it (<c>64m</c>).</summary>
        public string? Xms { get; }
        /// <summary>java: the largest heap (<c>xmx</c>).</summary>
        public string? Xmx { get; }
        /// <summary>node, python: start the interpreter's interactive shell instead of a script (<c>shell: true</c>).</summary>
        public bool Shell { get; }

        /// <summary>How it reads in a table: the runtime and what it runs.</summary>
        public override string ToString()
            => Runtime + " " + string.Join(" ", (Shell ? new[] { "(shell)" } : new[] { Main ?? "" }).Concat(Args));
    }
}
