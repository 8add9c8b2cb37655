using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace OsvPS.Core.IO
{
    /// <summary>Free space, asked before a large write, and the error a full disk gives during one.</summary>
    internal static class DiskSpace
    {
        private const int ENOSPC = 28;
        private const int EDQUOT = 122;

        /// <summary>
        /// The bytes an unprivileged writer can still put on the file system of <paramref name="folder"/>
        /// (its nearest existing ancestor when it does not exist yet); null when that cannot be learnt.
        /// </summary>
        public static long? Available(string folder)
        {
            string? current = Path.GetFullPath(folder);
            while (current != null && !Directory.Exists(current))
            {
                current = Path.GetDirectoryName(current);
            }
            if (current == null)
            {
                return null;
            }
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                // struct statvfs on 64-bit Linux: f_bsize, f_frsize, f_blocks, f_bfree, f_bavail (8 bytes each), ...
                var buffer = new byte[256];
                if (Libc.StatVfs(Encoding.UTF8.GetBytes(current + "\0"), buffer) != 0)
                {
                    return null;
                }
                ulong fragment = BitConverter.ToUInt64(buffer, 8);
                ulong available = BitConverter.ToUInt64(buffer, 32);
                return fragment == 0 ? (long?)null : (long)Math.Min(long.MaxValue, (double)available * fragment);
            }
            try
            {
                return new DriveInfo(Path.GetPathRoot(current)!).AvailableFreeSpace;
            }
            catch (Exception e) when (e is IOException || e is ArgumentException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>True when <paramref name="error"/> (or an exception inside it) says the disk (or the user's quota) is full.</summary>
        public static bool IsFull(Exception? error)
        {
            for (var e = error; e != null; e = e.InnerException)
            {
                // Linux: the errno; Windows: ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL as HRESULTs.
                if (e is IOException && (e.HResult == ENOSPC || e.HResult == EDQUOT || e.HResult == unchecked((int)0x80070027) || e.HResult == unchecked((int)0x80070070)))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
