using System.Collections.Generic;

namespace OsvPS.Core.Models
{
    /// <summary>What a behaviour of OSv's kernel does to a program that meets it.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum OsvFindingEffect
    {
        /// <summary>The program cannot do its work on OSv, whichever way it is started: the reason says what stops it (seen on the kernel).</summary>
        CannotRun,
        /// <summary>A call the program (or a library it carries) makes fails or stops on OSv; whether it needs that call is not known before boot.</summary>
        MayFail,
    }

    /// <summary>
    /// A place where OSv's kernel behaves unlike Linux's and a program meets it, found before boot in the program's
    /// imports, its texts or its Go function names: one of the rules Test-OsvBinary documents, with OSv's source.
    /// </summary>
    public sealed class OsvKernelFinding
    {
        public OsvKernelFinding(string rule, OsvFindingEffect effect, string reason, IEnumerable<string> evidence, string source)
        {
            Rule = rule;
            Effect = effect;
            Reason = reason;
            Evidence = TextList.Of(evidence);
            Source = source;
        }

        /// <summary>The rule's name (RootRefusal, ProcessCalls, ...).</summary>
        public string Rule { get; }
        /// <summary>CannotRun (both ways' verdicts say so) or MayFail.</summary>
        public OsvFindingEffect Effect { get; }
        /// <summary>What OSv does and what follows for the program.</summary>
        public string Reason { get; }
        /// <summary>What in the files matched: imported names (with the objects that import them), texts, Go functions.</summary>
        public TextList Evidence { get; }
        /// <summary>Where OSv's sources (v0.57.0-398) do it, as file:line.</summary>
        public string Source { get; }

        public override string ToString() => Rule;
    }
}
