using System;
using System.Runtime.InteropServices;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// Every call OsvPS makes into Linux's C library, declared once. The callers (FolderHandle, UnixFile,
    /// HostProcess, DiskSpace, SymbolicLink, QmpClient, LibvirtConnection) keep the meaning: flags, errno handling and buffers.
    /// </summary>
    internal static class Libc
    {
        [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
        public static extern int Chmod(byte[] path, int mode);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);

        [DllImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
        public static extern IntPtr CopyFileRange(int fdIn, IntPtr offIn, int fdOut, IntPtr offOut, IntPtr length, uint flags);

        [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        public static extern int Fchmod(int fd, int mode);

        [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        public static extern int Fcntl(int fd, int command, int argument);

        [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
        public static extern int Flock(int fd, int operation);

        /// <summary>Frees what a C library (libvirt) allocated and gave the caller to free.</summary>
        [DllImport("libc", EntryPoint = "free")]
        public static extern void Free(IntPtr pointer);

        [DllImport("libc", EntryPoint = "futimens", SetLastError = true)]
        public static extern int Futimens(int fd, long[] times);

        [DllImport("libc", EntryPoint = "geteuid")]
        public static extern uint GetEffectiveUserId();

        [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
        public static extern int GetSockOpt(int socket, int level, int name, byte[] value, ref int length);

        [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        public static extern int Ioctl(int fd, uint request, int argument);

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);

        [DllImport("libc", EntryPoint = "linkat", SetLastError = true)]
        public static extern int LinkAt(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

        [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
        public static extern int MkdirAt(int dirfd, byte[] path, int mode);

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open(byte[] path, int flags, int mode);

        [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
        public static extern int OpenAt(int dirfd, byte[] path, int flags, int mode);

        [DllImport("libc", EntryPoint = "readlink", SetLastError = true)]
        public static extern IntPtr ReadLink(byte[] path, byte[] buffer, IntPtr size);

        [DllImport("libc", EntryPoint = "renameat", SetLastError = true)]
        public static extern int RenameAt(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath);

        [DllImport("libc", EntryPoint = "statvfs", SetLastError = true)]
        public static extern int StatVfs(byte[] path, byte[] buffer);

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        public static extern int Statx(int dirfd, byte[] path, int flags, int mask, byte[] buffer);

        [DllImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
        public static extern int SymlinkAt(byte[] target, int dirfd, byte[] path);

        [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
        public static extern int SyncFs(int fd);

        [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
        public static extern int UnlinkAt(int dirfd, byte[] path, int flags);

        [DllImport("libc", EntryPoint = "utimensat", SetLastError = true)]
        public static extern int UtimensAt(int dirfd, byte[] path, long[] times, int flags);
    }
}
