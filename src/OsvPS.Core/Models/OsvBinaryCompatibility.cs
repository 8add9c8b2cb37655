using System.Collections.Generic;

namespace OsvPS.Core.Models
{
    /// <summary>A symbol a program needs that neither OSv nor the libraries it would carry define.</summary>
    public sealed class OsvMissingSymbol
    {
        public OsvMissingSymbol(string name, IReadOnlyList<string> requiredBy)
        {
            Name = name;
            RequiredBy = requiredBy;
        }

        public string Name { get; }
        /// <summary>The program or libraries that need it.</summary>
        public IReadOnlyList<string> RequiredBy { get; }

        public override string ToString() => Name;
    }

    /// <summary>Whether OSv can run a program, as Test-OsvBinary decides it before booting.</summary>
    public sealed class OsvBinaryCompatibility
    {
        public OsvBinaryCompatibility(string path, string kind, bool compatible, IReadOnlyList<OsvMissingSymbol> missingSymbols,
            IReadOnlyList<string> libraries, IReadOnlyList<string> notes, string kernel)
        {
            Path = path;
            Kind = kind;
            Compatible = compatible;
            MissingSymbols = missingSymbols;
            Libraries = libraries;
            Notes = notes;
            Kernel = kernel;
        }

        public string Path { get; }
        /// <summary>PositionIndependentExecutable, SharedLibrary, DynamicExecutable, StaticExecutable or Other.</summary>
        public string Kind { get; }
        /// <summary>True exactly when the kind runs on OSv, every library is found and no symbol is missing.</summary>
        public bool Compatible { get; }
        public IReadOnlyList<OsvMissingSymbol> MissingSymbols { get; }
        /// <summary>The libraries the image would carry for it (host paths), as Add-OsvBinary would copy them.</summary>
        public IReadOnlyList<string> Libraries { get; }
        /// <summary>What the user should hear: static executable, another architecture, process calls, libraries not found, libstdc++ on a hidden-symbols kernel.</summary>
        public IReadOnlyList<string> Notes { get; }
        /// <summary>The kernel ELF whose symbols were used.</summary>
        public string Kernel { get; }

        public override string ToString() => Path;
    }
}
