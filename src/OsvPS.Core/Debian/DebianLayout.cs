using System;
using System.Collections.Generic;
using System.Linq;

namespace OsvPS.Core.Debian
{
    /// <summary>What a package may install that a guest seldom needs; left out unless asked for.</summary>
    [Flags]
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum DebianContent
    {
        None = 0,
        /// <summary>/usr/share/doc, doc-base, info, lintian and bug (documentation and packaging notes).</summary>
        Documentation = 1,
        /// <summary>/usr/share/man.</summary>
        ManPages = 2,
        /// <summary>/usr/share/locale, /usr/lib/locale and /usr/share/i18n (message catalogues and locale data).</summary>
        Locales = 4,
    }

    /// <summary>
    /// Where Debian puts what (the Filesystem Hierarchy Standard as Debian policy, chapter 9 and 12, uses it),
    /// and where the glibc loader looks for libraries without being told (its default folders on x86-64
    /// Debian, multiarch ones first).
    /// </summary>
    internal static class DebianLayout
    {
        private static readonly (string Prefix, DebianContent Content)[] Optional =
        {
            ("/usr/share/doc", DebianContent.Documentation),
            ("/usr/share/doc-base", DebianContent.Documentation),
            ("/usr/share/info", DebianContent.Documentation),
            ("/usr/share/lintian", DebianContent.Documentation),
            ("/usr/share/bug", DebianContent.Documentation),
            ("/usr/share/man", DebianContent.ManPages),
            ("/usr/share/locale", DebianContent.Locales),
            ("/usr/lib/locale", DebianContent.Locales),
            ("/usr/share/i18n", DebianContent.Locales),
        };

        /// <summary>The loader's default folders (glibc's system-dirs on x86-64 Debian).</summary>
        public static readonly IReadOnlyList<string> LibraryFolders = new[]
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
        };

        /// <summary>The optional content <paramref name="path"/> is, or <see cref="DebianContent.None"/>.</summary>
        public static DebianContent ContentOf(string path)
        {
            foreach (var (prefix, content) in Optional)
            {
                if (path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal))
                {
                    return content;
                }
            }
            return DebianContent.None;
        }

        /// <summary><paramref name="path"/> and each of its folders, deepest first, for patterns that name a folder.</summary>
        public static IEnumerable<string> SelfAndFolders(string path)
        {
            for (string p = path; p.Length > 1; p = Sysroot.Parent(p))
            {
                yield return p;
            }
        }

        /// <summary>
        /// A link target that leads, from the link's folder, where the absolute <paramref name="target"/> does:
        /// a guest cannot follow a target outside its image, and a relative one stays inside it.
        /// </summary>
        public static string RelativeTarget(string linkPath, string target)
        {
            if (!target.StartsWith("/", StringComparison.Ordinal))
            {
                return target;
            }
            var from = Sysroot.Parent(linkPath).Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
            var to = Sysroot.Join("/", target).Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
            int common = 0;
            while (common < from.Length && common < to.Length && from[common] == to[common])
            {
                common++;
            }
            var parts = Enumerable.Repeat("..", from.Length - common).Concat(to.Skip(common)).ToList();
            return parts.Count == 0 ? "." : string.Join("/", parts);
        }
    }
}
