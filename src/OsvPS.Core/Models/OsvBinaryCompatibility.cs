using System.Collections.Generic;

namespace OsvPS.Core.Models
{
    /// <summary>The ways OsvPS can start a program on OSv.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum OsvRunWay
    {
        /// <summary>
        /// OSv loads the file itself: its own linker binds a dynamic program to the kernel's C library, and a static
        /// executable starts at its entry point. What Add-OsvBinary does by default.
        /// </summary>
        OsvLinker,
        /// <summary>The host's own dynamic linker (ld-linux-x86-64.so.2), run by OSv as a program, loads the program against the host's C library (Add-OsvBinary -LinuxLinker).</summary>
        LinuxLinker,
        /// <summary>Neither way starts it.</summary>
        None,
    }

    /// <summary>What a way of running does with a program (or, for a library, with loading it).</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum OsvRunVerdict
    {
        /// <summary>It starts, and every symbol it references is defined.</summary>
        Runs,
        /// <summary>It starts; it stops if it calls (or reads) one of the symbols its reason names, which nothing defines.</summary>
        RunsUnlessCalled,
        /// <summary>It stops while it is loaded, before main: its reason names the symbols or relocations.</summary>
        FailsAtLoad,
        /// <summary>This way cannot take it at all (another architecture, a library not found, no host linker...): its reason says why.</summary>
        CannotRun,
    }

    /// <summary>A symbol an object references that no object loaded with it defines.</summary>
    public sealed class OsvMissingSymbol
    {
        public OsvMissingSymbol(string name, string objectPath, string relocation, bool atLoad, OsvRunWay way)
        {
            Name = name;
            Object = objectPath;
            Relocation = relocation;
            AtLoad = atLoad;
            Way = way;
        }

        public string Name { get; }
        /// <summary>The program or library (host path) whose relocation names it.</summary>
        public string Object { get; }
        /// <summary>The relocation type, e.g. R_X86_64_COPY, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT.</summary>
        public string Relocation { get; }
        /// <summary>True when its absence stops the program at load; false when only a call (or read) of it does.</summary>
        public bool AtLoad { get; }
        /// <summary>The way of running this was found for.</summary>
        public OsvRunWay Way { get; }

        public override string ToString() => Name;
    }

    /// <summary>Whether OSv can run a program, for each way of running it, as Test-OsvBinary decides it before booting.</summary>
    public sealed class OsvBinaryCompatibility
    {
        public OsvBinaryCompatibility(string path, string kind, bool isProgram, OsvWayVerdict osv, OsvWayVerdict linux,
            IReadOnlyList<string> notes, string kernel, IReadOnlyList<OsvKernelFinding>? findings = null)
        {
            Path = path;
            Kind = kind;
            IsProgram = isProgram;
            OsvLinker = osv.Verdict;
            OsvLinkerReason = osv.Reason;
            MissingSymbols = osv.Missing;
            Libraries = TextList.Of(osv.Libraries);
            LinuxLinker = linux.Verdict;
            LinuxLinkerReason = linux.Reason;
            LinuxMissingSymbols = linux.Missing;
            LinuxLibraries = TextList.Of(linux.Libraries);
            Notes = TextList.Of(notes);
            Findings = new ReadableList<OsvKernelFinding>(findings);
            Kernel = kernel;
            RecommendedWay = Recommend(OsvLinker, LinuxLinker);
            Compatible = RecommendedWay != OsvRunWay.None;
        }

        public string Path { get; }
        /// <summary>PositionIndependentExecutable, SharedLibrary, DynamicExecutable, StaticExecutable or Other.</summary>
        public string Kind { get; }
        /// <summary>True for what OSv starts as a program: executables, and shared libraries that export main (as OSv's own apps are built).</summary>
        public bool IsProgram { get; }
        /// <summary>True when the recommended way starts it (for a library: loads it).</summary>
        public bool Compatible { get; }
        /// <summary>OsvLinker when it runs there with every symbol; else LinuxLinker when that runs it with every symbol; else the way that at least starts it; None when neither does.</summary>
        public OsvRunWay RecommendedWay { get; }
        /// <summary>What OSv's own linker does with it.</summary>
        public OsvRunVerdict OsvLinker { get; }
        /// <summary>Why not Runs on OSv's linker, with the names; null when it runs.</summary>
        public string? OsvLinkerReason { get; }
        /// <summary>What the host's dynamic linker, run by OSv, does with it.</summary>
        public OsvRunVerdict LinuxLinker { get; }
        /// <summary>Why not Runs on Linux's linker; null when it runs.</summary>
        public string? LinuxLinkerReason { get; }
        /// <summary>The symbols no object defines on OSv's linker (the kernel, libgcc_s from osv.bootstrap and the carried libraries searched).</summary>
        public IReadOnlyList<OsvMissingSymbol> MissingSymbols { get; }
        /// <summary>The symbols no object defines on Linux's linker (the host's C library and every library carried).</summary>
        public IReadOnlyList<OsvMissingSymbol> LinuxMissingSymbols { get; }
        /// <summary>The libraries an image carries for it on OSv's linker (host paths), as Add-OsvBinary copies them.</summary>
        public TextList Libraries { get; }
        /// <summary>The libraries an image carries for it on Linux's linker (host paths), its C library and loader included, as Add-OsvBinary -LinuxLinker copies them.</summary>
        public TextList LinuxLibraries { get; }
        /// <summary>What the user should hear: static executable, Go or musl program, another architecture, libraries not found, libstdc++ on a hidden-symbols kernel.</summary>
        public TextList Notes { get; }
        /// <summary>
        /// Where OSv's kernel behaves unlike Linux's and the program meets it (fork, root, madvise, socket options...):
        /// a CannotRun finding makes both ways' verdicts CannotRun with its reason; a MayFail one is said only here.
        /// </summary>
        public ReadableList<OsvKernelFinding> Findings { get; }
        /// <summary>The kernel ELF whose symbols were used.</summary>
        public string Kernel { get; }

        /// <summary>The way that runs with every symbol, OSv's first; else the way that starts; else None.</summary>
        public static OsvRunWay Recommend(OsvRunVerdict osv, OsvRunVerdict linux)
        {
            if (osv == OsvRunVerdict.Runs)
            {
                return OsvRunWay.OsvLinker;
            }
            if (linux == OsvRunVerdict.Runs)
            {
                return OsvRunWay.LinuxLinker;
            }
            if (osv == OsvRunVerdict.RunsUnlessCalled)
            {
                return OsvRunWay.OsvLinker;
            }
            return linux == OsvRunVerdict.RunsUnlessCalled ? OsvRunWay.LinuxLinker : OsvRunWay.None;
        }

        /// <summary>The verdict of <paramref name="way"/>.</summary>
        public OsvRunVerdict VerdictOf(OsvRunWay way) => way == OsvRunWay.LinuxLinker ? LinuxLinker : OsvLinker;

        /// <summary>The reason of <paramref name="way"/>'s verdict.</summary>
        public string? ReasonOf(OsvRunWay way) => way == OsvRunWay.LinuxLinker ? LinuxLinkerReason : OsvLinkerReason;

        /// <summary>
        /// What to tell a user who adds it to run <paramref name="way"/>, or null when nothing: a program that will
        /// not start (or may stop where another way runs it whole), a library that will not load or lacks a symbol;
        /// with the way that runs it, when another one does.
        /// </summary>
        /// <param name="linuxLinkerAdvice">What to do to run it on Linux's dynamic linker, when that runs it (default: add it with -LinuxLinker).</param>
        public string? WarningFor(OsvRunWay way, string? linuxLinkerAdvice = null)
        {
            var verdict = VerdictOf(way);
            bool fails = verdict == OsvRunVerdict.FailsAtLoad || verdict == OsvRunVerdict.CannotRun;
            bool worse = verdict == OsvRunVerdict.RunsUnlessCalled && (!IsProgram || (RecommendedWay != way && VerdictOf(RecommendedWay) == OsvRunVerdict.Runs));
            if (!fails && !worse)
            {
                return null;
            }
            string wayName = way == OsvRunWay.LinuxLinker ? "Linux's dynamic linker" : $"OSv's linker ({Kernel})";
            string what = !IsProgram ? (fails ? "will not load" : "may stop its program")
                : verdict == OsvRunVerdict.CannotRun ? "cannot run" : fails ? "will not start" : "may stop";
            string advice = RecommendedWay == way || RecommendedWay == OsvRunWay.None ? ""
                : RecommendedWay == OsvRunWay.LinuxLinker ? " Linux's dynamic linker runs it: " + (linuxLinkerAdvice ?? "add it with -LinuxLinker.")
                : " OSv's linker runs it: add it without -LinuxLinker.";
            return $"'{Path}' {what} on {wayName}: {ReasonOf(way)}.{advice} Test-OsvBinary '{Path}' tells more.";
        }

        public override string ToString() => Path;
    }

    /// <summary>One way's verdict, with its reason, its missing symbols and the libraries it carries.</summary>
    public sealed class OsvWayVerdict
    {
        public OsvWayVerdict(OsvRunVerdict verdict, string? reason, IReadOnlyList<OsvMissingSymbol> missing, IReadOnlyList<string> libraries)
        {
            Verdict = verdict;
            Reason = reason;
            Missing = missing;
            Libraries = libraries;
        }

        public OsvRunVerdict Verdict { get; }
        public string? Reason { get; }
        public IReadOnlyList<OsvMissingSymbol> Missing { get; }
        public IReadOnlyList<string> Libraries { get; }
    }
}
