using System;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// Writes files so that a reader never sees half of one: the bytes go to a temporary name in
    /// the same folder (same file system, so the rename is atomic) and replace the target at the end.
    /// </summary>
    public static class AtomicFile
    {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        private static readonly Regex TemporaryPattern = new Regex(@"^\..+\.[0-9a-f]{12}\.tmp$", RegexOptions.Singleline | RegexOptions.CultureInvariant);

        /// <summary>A temporary name beside <paramref name="path"/>, hidden and unique.</summary>
        public static string TemporaryPathFor(string path)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            return Path.Combine(dir, TemporaryName(Path.GetFileName(path)));
        }

        /// <summary>The temporary file name for a file called <paramref name="name"/>: <c>.&lt;name&gt;.&lt;12 hex digits&gt;.tmp</c>.</summary>
        public static string TemporaryName(string name) => "." + name + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp";

        /// <summary>
        /// True for a name <see cref="TemporaryName"/> makes: one of OsvPS's own temporaries, which is never
        /// content (a build leaves it out) and, once its writer is dead, is swept.
        /// </summary>
        public static bool IsTemporaryName(string name) => TemporaryPattern.IsMatch(name);

        public static void WriteAllText(string path, string text) => Write(path, s =>
        {
            byte[] bytes = Utf8NoBom.GetBytes(text);
            s.Write(bytes, 0, bytes.Length);
        });

        /// <summary>
        /// Runs <paramref name="writer"/> on a temporary file and renames it over <paramref name="path"/>.
        /// <paramref name="durable"/> flushes the data to the disk before the rename; a caller that writes
        /// many files passes false and syncs once at the end. <paramref name="modifiedUtc"/> sets the
        /// file's modification time before it takes the target's name.
        /// </summary>
        public static void Write(string path, Action<FileStream> writer, bool durable = true, DateTime? modifiedUtc = null)
        {
            string temp = TemporaryPathFor(path);
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
                {
                    writer(stream);
                    stream.Flush(durable);
                }
                if (modifiedUtc.HasValue)
                {
                    File.SetLastWriteTimeUtc(temp, modifiedUtc.Value);
                }
                Commit(temp, path);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
        }

        /// <summary>Moves a finished temporary file over the target, replacing it if present.</summary>
        public static void Commit(string temporaryPath, string path)
        {
            if (File.Exists(path))
            {
                File.Replace(temporaryPath, path, null, true);
            }
            else
            {
                File.Move(temporaryPath, path);
            }
        }

        /// <summary>
        /// Deletes the temporaries <see cref="TemporaryPathFor"/> made for <paramref name="path"/> that a
        /// killed writer left behind. Call it only while holding what guards writes to that file.
        /// </summary>
        public static void SweepTemporaries(string path)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            if (Directory.Exists(dir))
            {
                foreach (string stale in Directory.GetFiles(dir, "." + Path.GetFileName(path) + ".*.tmp"))
                {
                    TryDelete(stale);
                }
            }
        }

        public static void TryDelete(string path)
        {
            try
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
