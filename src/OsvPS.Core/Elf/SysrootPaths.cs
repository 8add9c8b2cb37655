using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.IO;

namespace OsvPS.Core.Elf
{
    /// <summary>Paths as they are on a root file system (the host's, or a sysroot's): links followed inside it.</summary>
    internal static class SysrootPaths
    {
        /// <summary>The path <paramref name="path"/> names with its symbolic links followed, absolute targets taken under <paramref name="root"/>; the path itself when it cannot be followed.</summary>
        public static string Resolve(string path, string root)
        {
            try
            {
                return ResolveLinks(path, root);
            }
            catch (IOException)
            {
                return path;
            }
        }

        /// <summary>The guest-style path of <paramref name="path"/> (a path under <paramref name="root"/>): <c>/sysroot/usr/lib/x</c> gives <c>/usr/lib/x</c>.</summary>
        public static string Unrooted(string path, string root)
        {
            string prefix = root == "/" || root.Length == 0 ? "" : root.TrimEnd('/');
            return prefix.Length > 0 && path.StartsWith(prefix + "/", StringComparison.Ordinal) ? path.Substring(prefix.Length) : path;
        }

        private static string ResolveLinks(string path, string root)
        {
            string rootPrefix = root == "/" ? "" : root.TrimEnd('/');
            string rest = path.StartsWith(rootPrefix, StringComparison.Ordinal) ? path.Substring(rootPrefix.Length) : path;
            var done = new List<string>();
            var todo = new Queue<string>(rest.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries));
            int hops = 0;
            while (todo.Count > 0)
            {
                string part = todo.Dequeue();
                if (part == ".")
                {
                    continue;
                }
                if (part == "..")
                {
                    if (done.Count > 0)
                    {
                        done.RemoveAt(done.Count - 1);
                    }
                    continue;
                }
                string current = rootPrefix + "/" + string.Join("/", done.Concat(new[] { part }));
                var info = new FileInfo(current);
                if (info.Exists || Directory.Exists(current))
                {
                    if ((info.Attributes & FileAttributes.ReparsePoint) != 0)
                    {
                        if (++hops > 40)
                        {
                            throw new IOException($"too many levels of symbolic links in '{path}'");
                        }
                        string target = SymbolicLink.ReadTarget(current);
                        var remaining = todo.ToList();
                        todo = new Queue<string>(target.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries).Concat(remaining));
                        if (target.StartsWith("/", StringComparison.Ordinal))
                        {
                            done.Clear();
                        }
                        continue;
                    }
                }
                done.Add(part);
            }
            return rootPrefix + "/" + string.Join("/", done);
        }
    }
}
