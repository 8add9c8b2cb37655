using System.Collections.Generic;
using System.Threading;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances
{
    /// <summary>What every engine does alike, once, over the seam: describe an instance, read its console.</summary>
    public static class InstanceConsole
    {
        /// <summary>The instance <paramref name="engine"/> describes with <paramref name="facts"/>, ended as <paramref name="outcome"/> says.</summary>
        internal static OsvInstance Describe(this IInstanceEngine engine, InstanceFacts facts, InstanceOutcome outcome, InstanceProcess? process = null)
        {
            facts.State = outcome.State;
            facts.ExitCode = outcome.ExitCode;
            facts.Reason = outcome.Reason;
            facts.FailureId = outcome.FailureId;
            return new OsvInstance(engine.Name, engine.Connection, facts, process);
        }

        /// <summary>The last <paramref name="tail"/> lines of the console as the user reads them (all when null).</summary>
        public static List<string> ReadConsole(this IInstanceEngine engine, string name, int? tail, CancellationToken cancellation)
        {
            var instance = engine.Get(name, cancellation);
            return ConsoleReader.Read(instance.ConsolePath, HidesDebugLines(instance), tail, RunscriptFiles(instance));
        }

        /// <summary>True when OsvPS turned OSv's debug lines on for this instance's run, so they are kept from the reader.</summary>
        internal static bool HidesDebugLines(OsvInstance instance) => GuestCommandLines.HidesDebugLines(instance.GuestCommandLine, instance.CommandLine);

        /// <summary>The /run files the instance's command line names (their echo is kept from the reader).</summary>
        internal static IReadOnlyList<string> RunscriptFiles(OsvInstance instance) => GuestCommandLines.RunscriptFiles(instance.GuestCommandLine);
    }
}
