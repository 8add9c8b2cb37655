using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Models;

namespace OsvPS.Core.Elf
{
    /// <summary>An object a linker loads: its definitions and its relocations.</summary>
    internal sealed class LinkedObject
    {
        public LinkedObject(string path, DynamicSymbols symbols, ElfRelocations relocations)
        {
            Path = path;
            Symbols = symbols;
            Relocations = relocations;
        }

        public string Path { get; }
        public DynamicSymbols Symbols { get; }
        public ElfRelocations Relocations { get; }
    }

    /// <summary>
    /// Binds, on paper, every relocation of a set of objects loaded together, with the rules of one linker: what no
    /// object defines, and what the linker cannot relocate at all, become a verdict with its reason.
    /// </summary>
    internal static class SymbolCheck
    {
        private const int NamesInReason = 6;

        /// <param name="objects">The program (first) and the libraries loaded with it.</param>
        /// <param name="others">Definitions from objects whose relocations are not checked here (the kernel, a program a plugin is added with).</param>
        public static OsvWayVerdict Run(IReadOnlyList<LinkedObject> objects, IReadOnlyList<DynamicSymbols> others, LinkerRules rules, OsvRunWay way,
            IReadOnlyList<string> libraries)
        {
            var missing = new List<OsvMissingSymbol>();
            var problems = new List<string>();
            foreach (var item in objects)
            {
                var relocations = item.Relocations;
                if (relocations.HasRel && rules.UnsupportedRel != null)
                {
                    problems.Add($"{System.IO.Path.GetFileName(item.Path)}: {rules.UnsupportedRel}");
                }
                foreach (var (type, inPlt) in relocations.Types)
                {
                    string? why = rules.Unsupported(type, inPlt);
                    if (why != null)
                    {
                        problems.Add($"{System.IO.Path.GetFileName(item.Path)}: {why}");
                    }
                }
                foreach (var reference in relocations.References)
                {
                    var effect = rules.Missing(reference, relocations.BindNow);
                    if (effect == MissingSymbolEffect.None)
                    {
                        continue;
                    }
                    // A copy relocation takes the bytes of another object's definition: the object's own does not count.
                    bool copy = reference.Type == RelocationTypes.Copy;
                    bool found = others.Any(t => rules.Finds(t, reference.Name)) ||
                        objects.Any(o => (!copy || !ReferenceEquals(o, item)) && rules.Finds(o.Symbols, reference.Name));
                    if (!found)
                    {
                        missing.Add(new OsvMissingSymbol(reference.Name, item.Path, reference.TypeName, effect == MissingSymbolEffect.AtLoad, way));
                    }
                }
            }
            // One entry per name, object and relocation type, the fatal ones first.
            var sorted = missing.GroupBy(m => (m.Name, m.Object, m.Relocation)).Select(g => g.First())
                .OrderByDescending(m => m.AtLoad).ThenBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Object, StringComparer.Ordinal).ToArray();
            return Verdict(sorted, problems, libraries);
        }

        private static OsvWayVerdict Verdict(OsvMissingSymbol[] missing, List<string> problems, IReadOnlyList<string> libraries)
        {
            var fatal = missing.Where(m => m.AtLoad).ToList();
            if (problems.Count > 0 || fatal.Count > 0)
            {
                var reasons = problems.Distinct().ToList();
                if (fatal.Count > 0)
                {
                    reasons.Add("stops at load: " + Names(fatal, true) + " defined by no object it loads");
                }
                return new OsvWayVerdict(OsvRunVerdict.FailsAtLoad, string.Join("; ", reasons), missing, libraries);
            }
            if (missing.Length > 0)
            {
                return new OsvWayVerdict(OsvRunVerdict.RunsUnlessCalled, "starts; stops if it calls " + Names(missing, false) + " (defined by no object it loads)", missing, libraries);
            }
            return new OsvWayVerdict(OsvRunVerdict.Runs, null, missing, libraries);
        }

        private static string Names(IReadOnlyList<OsvMissingSymbol> symbols, bool withWhere)
        {
            var names = symbols.GroupBy(s => s.Name).Select(g => withWhere
                ? $"{g.Key} ({g.First().Relocation.Replace("R_X86_64_", "")} in {System.IO.Path.GetFileName(g.First().Object)})"
                : g.Key).ToList();
            string shown = string.Join(", ", names.Take(NamesInReason));
            return names.Count > NamesInReason ? $"{shown} and {names.Count - NamesInReason} more" : shown;
        }

        /// <summary>A verdict for a way that cannot take the file at all.</summary>
        public static OsvWayVerdict CannotRun(string reason, IReadOnlyList<string>? libraries = null)
            => new OsvWayVerdict(OsvRunVerdict.CannotRun, reason, new OsvMissingSymbol[0], libraries ?? new string[0]);
    }
}
