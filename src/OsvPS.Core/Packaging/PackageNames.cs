using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Packaging
{
    /// <summary>What a package may be called: one file name, as in Capstan (a name with a space is one).</summary>
    internal static class PackageNames
    {
        /// <summary>
        /// Refuses a package name that is not one safe path component in <c>packages/</c>. As in Capstan, any
        /// name is accepted ("Capstan tester" included) but these: empty, '.', '..', longer than 200 characters,
        /// or holding '/', '\' (a folder separator on Windows), NUL, a control character or a character this
        /// system's file names cannot hold. Names come from package.yaml, require lists (also inside downloaded
        /// packages), parameters and release assets; every one passes here before it is a path.
        /// </summary>
        public static void Validate(string name, string? source = null)
        {
            if (name.Length == 0 || name.Length > 200 || name == "." || name == ".." ||
                name.Any(c => char.IsControl(c) || c == '/' || c == '\\' || InvalidFileNameChars.Contains(c)))
            {
                throw new OsvException(ErrorIds.PackageNameInvalid, OsvErrorKind.InvalidArgument,
                    (source == null ? "" : source + ": ") + $"'{name}' is not a valid package name: it must be one file name, not '.' or '..', " +
                    "without '/', '\\' or control characters.", name);
            }
        }

        private static readonly HashSet<char> InvalidFileNameChars = new HashSet<char>(Path.GetInvalidFileNameChars());
    }
}
