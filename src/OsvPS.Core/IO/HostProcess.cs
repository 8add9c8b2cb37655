using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using OsvPS.Core.Errors;

namespace OsvPS.Core.IO
{
    /// <summary>Facts about processes that need not be our children.</summary>
    internal static class HostProcess
    {
        /// <summary>True when <paramref name="pid"/> is alive and its command line mentions <paramref name="marker"/> (so a reused id is not mistaken for ours).</summary>
        public static bool IsAlive(int pid, string marker)
        {
            string proc = "/proc/" + pid;
            try
            {
                if (!Directory.Exists(proc))
                {
                    return false;
                }
                string stat = File.ReadAllText(proc + "/stat");
                int close = stat.LastIndexOf(')');
                if (close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z')
                {
                    return false;
                }
                return File.ReadAllText(proc + "/cmdline").Replace('\0', ' ').Contains(marker);
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }

        public static void KillHard(int pid)
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        /// <summary>Sends SIGTERM (QEMU then exits cleanly).</summary>
        public static void Terminate(int pid) => Libc.Kill(pid, 15);

        /// <summary>This process's effective user id (0 where there is none, on Windows).</summary>
        public static uint UserId => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? 0 : Libc.GetEffectiveUserId();

        /// <summary>
        /// A folder only this user can enter, for sockets: created with mode 0700 when missing, and
        /// refused when it is a link, is someone else's, or others can enter it (a folder another user
        /// made first, in a shared /tmp, would let them take over or answer for QEMU's monitor).
        /// </summary>
        public static string PrivateFolder(string path)
        {
            Directory.CreateDirectory(path);
            MakePrivateIfOurs(path);
            var status = UnixFile.Stat(path, noFollow: true);
            if (status == null || status.Type != UnixFileType.Directory || status.Owner != UserId || (status.Permissions & 0x3F) != 0)
            {
                throw new Errors.OsvException(ErrorIds.InstanceFolderUnsafe, Errors.OsvErrorKind.SecurityError,
                    $"'{path}' must be a folder of this user's that no one else can enter (mode 0700); it is not, so no monitor socket is made there.", path);
            }
            return path;
        }

        private static void MakePrivateIfOurs(string path)
        {
            var status = UnixFile.Stat(path, noFollow: true);
            if (status != null && status.Type == UnixFileType.Directory && status.Owner == UserId)
            {
                MakePrivate(path);
            }
        }

        /// <summary>Restricts a file to its owner (0600).</summary>
        public static void MakeFilePrivate(string file)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                Libc.Chmod(System.Text.Encoding.UTF8.GetBytes(file + "\0"), 0x180);
            }
        }

        /// <summary>Restricts a folder to its owner (0700).</summary>
        public static void MakePrivate(string folder)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                Libc.Chmod(System.Text.Encoding.UTF8.GetBytes(folder + "\0"), 0x1C0);
            }
        }

        /// <summary>True when files in <paramref name="folder"/> can be opened with O_DIRECT (tmpfs cannot).</summary>
        public static bool SupportsDirectIo(string folder)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return false;
            }
            string probe = Path.Combine(folder, ".odirect-probe");
            const int OCreat = 0x40, OWronly = 0x1, ODirect = 0x4000;
            int fd = Libc.Open(System.Text.Encoding.UTF8.GetBytes(probe + "\0"), OCreat | OWronly | ODirect, 0x180);
            if (fd >= 0)
            {
                Libc.Close(fd);
            }
            try
            {
                File.Delete(probe);
            }
            catch (IOException)
            {
            }
            return fd >= 0;
        }

        /// <summary>A program from PATH, or null.</summary>
        public static string? Which(string program)
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                if (dir.Length > 0 && File.Exists(Path.Combine(dir, program)))
                {
                    return Path.Combine(dir, program);
                }
            }
            return null;
        }
    }
}
