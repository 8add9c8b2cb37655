using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace OsvPS.Core.Elf
{
    /// <summary>
    /// The library index the glibc loader consults after RUNPATH: <c>/etc/ld.so.cache</c>, read in
    /// process (current format, or the old format's entries when only those exist), or, when there is
    /// no cache, the folders of <c>/etc/ld.so.conf</c> and its includes.
    /// </summary>
    internal sealed class LdCache
    {
        private const string OldMagic = "ld.so-1.7.0";
        private const string NewMagic = "glibc-ld.so.cache1.1";
        private const int FlagElfLibc6 = 0x0003;
        private const int FlagX8664Lib64 = 0x0300;

        private readonly Dictionary<string, List<string>> byName = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        private readonly List<string> folders = new List<string>();

        private LdCache()
        {
        }

        /// <summary>Where the entries came from (for messages).</summary>
        public string Source { get; private set; } = "";

        /// <summary>x86-64 library paths for <paramref name="soname"/>, best first (paths as the cache holds them, not under a root).</summary>
        public IReadOnlyList<string> Lookup(string soname) => byName.TryGetValue(soname, out var paths) ? paths : (IReadOnlyList<string>)new string[0];

        /// <summary>Folders from ld.so.conf, searched in order when there is no cache.</summary>
        public IReadOnlyList<string> Folders => folders;

        public int Count => byName.Count;

        /// <summary>Loads the cache of <paramref name="root"/> ("/" for the host).</summary>
        public static LdCache Load(string root)
        {
            var cache = new LdCache();
            string file = Rooted(root, "/etc/ld.so.cache");
            if (File.Exists(file))
            {
                cache.Source = file;
                cache.Parse(File.ReadAllBytes(file));
            }
            if (cache.byName.Count == 0)
            {
                string conf = Rooted(root, "/etc/ld.so.conf");
                cache.Source = conf;
                cache.ReadConf(root, "/etc/ld.so.conf", new HashSet<string>(StringComparer.Ordinal));
            }
            return cache;
        }

        /// <summary>Parses cache bytes (public for tests).</summary>
        public static LdCache Parse(byte[] data, string source)
        {
            var cache = new LdCache { Source = source };
            cache.Parse(data);
            return cache;
        }

        private void Parse(byte[] data)
        {
            int newStart = -1;
            var oldEntries = new List<(int Flags, int Key, int Value)>();
            if (StartsWith(data, 0, OldMagic))
            {
                int count = ReadInt(data, 12);
                if (count < 0 || 16 + (long)count * 12 > data.Length)
                {
                    return;
                }
                for (int i = 0; i < count; i++)
                {
                    int at = 16 + i * 12;
                    oldEntries.Add((ReadInt(data, at), ReadInt(data, at + 4), ReadInt(data, at + 8)));
                }
                int end = 16 + count * 12;
                int aligned = (end + 7) & ~7;
                newStart = StartsWith(data, aligned, NewMagic) ? aligned : StartsWith(data, end, NewMagic) ? end : -1;
                if (newStart < 0)
                {
                    // Old format only: strings follow the entries, offsets count from there.
                    foreach (var e in oldEntries.Where(e => (e.Flags & 0xff) == FlagElfLibc6 && (e.Flags & 0xff00) == FlagX8664Lib64))
                    {
                        Add(ReadString(data, end + e.Key), ReadString(data, end + e.Value));
                    }
                    return;
                }
            }
            else if (StartsWith(data, 0, NewMagic))
            {
                newStart = 0;
            }
            if (newStart < 0 || newStart + 48 > data.Length)
            {
                return;
            }
            int entries = ReadInt(data, newStart + 20);
            if (entries < 0 || newStart + 48 + (long)entries * 24 > data.Length)
            {
                return;
            }
            for (int i = 0; i < entries; i++)
            {
                int at = newStart + 48 + i * 24;
                int flags = ReadInt(data, at);
                if ((flags & 0xff) != FlagElfLibc6 || (flags & 0xff00) != FlagX8664Lib64)
                {
                    continue;
                }
                // String offsets of the new format count from its header.
                Add(ReadString(data, newStart + ReadInt(data, at + 4)), ReadString(data, newStart + ReadInt(data, at + 8)));
            }
        }

        private void Add(string? name, string? path)
        {
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(path))
            {
                return;
            }
            if (!byName.TryGetValue(name!, out var list))
            {
                byName[name!] = list = new List<string>();
            }
            list.Add(path!);
        }

        private void ReadConf(string root, string file, HashSet<string> seen)
        {
            string host = Rooted(root, file);
            if (!seen.Add(host) || !File.Exists(host))
            {
                return;
            }
            foreach (string raw in File.ReadAllLines(host))
            {
                string line = raw;
                int hash = line.IndexOf('#');
                if (hash >= 0)
                {
                    line = line.Substring(0, hash);
                }
                line = line.Trim();
                if (line.Length == 0)
                {
                    continue;
                }
                if (line.StartsWith("include", StringComparison.Ordinal) && line.Length > 7 && char.IsWhiteSpace(line[7]))
                {
                    foreach (string pattern in line.Substring(8).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
                    {
                        string absolute = pattern.StartsWith("/", StringComparison.Ordinal) ? pattern : Path.GetDirectoryName(file)!.Replace('\\', '/') + "/" + pattern;
                        foreach (string match in Glob(root, absolute))
                        {
                            ReadConf(root, match, seen);
                        }
                    }
                    continue;
                }
                if (line.StartsWith("hwcap", StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (string folder in line.Split(new[] { ' ', '\t', ',', ':', '=' }, StringSplitOptions.RemoveEmptyEntries).Take(1))
                {
                    if (!folders.Contains(folder))
                    {
                        folders.Add(folder);
                    }
                }
            }
        }

        // ld.so.conf includes use shell globs, in practice '*' in the last segment ("ld.so.conf.d/*.conf").
        private static IEnumerable<string> Glob(string root, string pattern)
        {
            string dir = pattern.Substring(0, pattern.LastIndexOf('/') + 1);
            string name = pattern.Substring(dir.Length);
            string hostDir = Rooted(root, dir);
            if (!Directory.Exists(hostDir))
            {
                return Enumerable.Empty<string>();
            }
            return Directory.GetFiles(hostDir, name).Select(f => dir + Path.GetFileName(f)).OrderBy(f => f, StringComparer.Ordinal);
        }

        internal static string Rooted(string root, string path)
            => root == "/" || root.Length == 0 ? path : root.TrimEnd('/') + "/" + path.TrimStart('/');

        private static bool StartsWith(byte[] data, int at, string text)
            => at >= 0 && at + text.Length <= data.Length && Encoding.ASCII.GetString(data, at, text.Length) == text;

        private static int ReadInt(byte[] data, int at) => at >= 0 && at + 4 <= data.Length ? BitConverter.ToInt32(data, at) : -1;

        private static string? ReadString(byte[] data, int at)
        {
            if (at < 0 || at >= data.Length)
            {
                return null;
            }
            int end = Array.IndexOf(data, (byte)0, at);
            return Encoding.UTF8.GetString(data, at, (end < 0 ? data.Length : end) - at);
        }
    }
}
