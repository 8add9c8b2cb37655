using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace OsvPS.Core.IO
{
    /// <summary>A name in a folder turned out to be a symbolic link where OsvPS needs a folder or a file of its own.</summary>
    internal sealed class LinkFoundException : IOException
    {
        public LinkFoundException(string name) : base($"'{name}' is a symbolic link") => Name = name;

        public string Name { get; }
    }

    /// <summary>
    /// An open Linux folder (a descriptor), and the calls relative to it that never follow a symbolic
    /// link: openat/mkdirat/renameat/unlinkat with O_NOFOLLOW on one name at a time. A folder reached
    /// through these is the folder that was there when it was opened, whatever is renamed or swapped
    /// for a link afterwards. Linux only (the flag values are Linux's).
    /// </summary>
    internal sealed class FolderHandle : IDisposable
    {
        private const int AtFdCwd = -100;
        private const int ORdOnly = 0;
        private const int ORdWr = 2;
        private const int OCreat = 0x40;
        private const int OExcl = 0x80;
        private const int OTrunc = 0x200;
        private const int ODirectory = 0x10000;
        private const int ONoFollow = 0x20000;
        private const int OCloExec = 0x80000;
        private const int ONonBlock = 0x800;
        private const int AtSymlinkNoFollow = 0x100;
        private const int LockEx = 2;
        private const int LockNb = 4;
        private const int LockUn = 8;
        internal const int EEXIST = 17;
        private const int ENOENT = 2;
        private const int ENOTDIR = 20;
        private const int ELOOP = 40;
        private const int EINTR = 4;
        private const long UtimeOmit = (1L << 30) - 2;

        private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        private readonly SafeFileHandle handle;

        private FolderHandle(int fd, string path)
        {
            handle = new SafeFileHandle((IntPtr)fd, true);
            Path = path;
        }

        /// <summary>Where the folder was when it was opened (for messages; never used to reach it).</summary>
        public string Path { get; }

        internal int Fd => handle.DangerousGetHandle().ToInt32();

        private static byte[] Name(string name) => Encoding.UTF8.GetBytes(name + "\0");

        /// <summary>Opens the folder <paramref name="path"/>; its last part may be a link only when <paramref name="followLast"/>.</summary>
        public static FolderHandle OpenPath(string path, bool followLast)
        {
            while (true)
            {
                int fd = Libc.Open(Name(path), ORdOnly | ODirectory | OCloExec | (followLast ? 0 : ONoFollow), 0);
                if (fd >= 0)
                {
                    return new FolderHandle(fd, path);
                }
                int errno = Marshal.GetLastWin32Error();
                if (errno == EINTR)
                {
                    continue;
                }
                if (!followLast && (errno == ENOTDIR || errno == ELOOP) && UnixFile.Stat(path, noFollow: true)?.Type == UnixFileType.SymbolicLink)
                {
                    throw new LinkFoundException(path);
                }
                throw Failure(errno, path, "open the folder");
            }
        }

        /// <summary>The folder <paramref name="name"/> in this one (created first when <paramref name="create"/>), never through a link.</summary>
        public FolderHandle OpenChild(string name, bool create)
        {
            string path = Combine(name);
            if (create && Libc.MkdirAt(Fd, Name(name), Convert.ToInt32("777", 8)) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                if (errno != EEXIST)
                {
                    throw Failure(errno, path, "create the folder");
                }
            }
            // A name swapped between a folder and a link may be a folder again by the time it is looked at:
            // then the open is tried again; a name that keeps changing is taken for the link it also is.
            for (int attempt = 0; ; attempt++)
            {
                int fd = Libc.OpenAt(Fd, Name(name), ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                if (fd >= 0)
                {
                    return new FolderHandle(fd, path);
                }
                int error = Marshal.GetLastWin32Error();
                if (error == EINTR)
                {
                    continue;
                }
                var type = error == ENOTDIR || error == ELOOP ? Stat(name)?.Type : null;
                if (type == UnixFileType.SymbolicLink || type == UnixFileType.Directory && attempt >= 8)
                {
                    throw new LinkFoundException(path);
                }
                if (type != UnixFileType.Directory)
                {
                    throw Failure(error, path, "open the folder");
                }
            }
        }

        /// <summary>The folder's child <paramref name="name"/>, a link itself rather than what it points to; null when there is none.</summary>
        public UnixFileStatus? Stat(string name) => UnixFile.StatAt(Fd, name, noFollow: true);

        /// <summary>This folder's own identity.</summary>
        public UnixFileStatus Self() => UnixFile.StatAt(Fd, "", noFollow: true, emptyPath: true)
            ?? throw new IOException($"cannot look at the folder '{Path}'.");

        /// <summary>The folder above this one (the same folder at the top of the file system).</summary>
        public FolderHandle Parent()
        {
            int fd = Libc.OpenAt(Fd, Name(".."), ORdOnly | ODirectory | OCloExec, 0);
            return fd >= 0 ? new FolderHandle(fd, System.IO.Path.GetDirectoryName(Path) ?? "/") : throw Failure(Marshal.GetLastWin32Error(), Path + "/..", "open the folder");
        }

        /// <summary>
        /// Creates <paramref name="name"/> (which must not exist: an existing file or link is never opened)
        /// for reading and writing, locked (flock) for as long as it is open, so that a sweep of stale
        /// temporaries can tell a live writer's file from a dead one's.
        /// </summary>
        public FileStream CreateLocked(string name, int bufferSize)
        {
            int fd = Libc.OpenAt(Fd, Name(name), ORdWr | OCreat | OExcl | ONoFollow | OCloExec, Convert.ToInt32("666", 8));
            if (fd < 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), Combine(name), "create");
            }
            var file = new SafeFileHandle((IntPtr)fd, true);
            // A sweep that found the file in the instant before this lock may hold it; wait for it to let go.
            while (Libc.Flock(fd, LockEx) != 0 && Marshal.GetLastWin32Error() == EINTR)
            {
            }
            return new FileStream(file, FileAccess.ReadWrite, bufferSize);
        }

        /// <summary>
        /// Lets go of the lock <see cref="CreateLocked"/> took, before the file is closed. A process being
        /// started on another thread holds a copy of every descriptor until it runs its program, and a
        /// lock left to the close would stay that long: a reader of the renamed file would find it taken.
        /// </summary>
        public static void Unlock(FileStream stream) => Libc.Flock(stream.SafeFileHandle.DangerousGetHandle().ToInt32(), LockUn);

        /// <summary>Opens <paramref name="name"/> for writing, never through a link: created when missing, emptied unless <paramref name="append"/> (then positioned at its end).</summary>
        public FileStream OpenWritable(string name, bool append, int bufferSize)
        {
            int fd = Libc.OpenAt(Fd, Name(name), ORdWr | OCreat | ONoFollow | OCloExec | (append ? 0 : OTrunc), Convert.ToInt32("666", 8));
            if (fd < 0)
            {
                int errno = Marshal.GetLastWin32Error();
                throw errno == ELOOP ? new LinkFoundException(Combine(name)) : Failure(errno, Combine(name), "open");
            }
            var stream = new FileStream(new SafeFileHandle((IntPtr)fd, true), FileAccess.ReadWrite, bufferSize);
            stream.Seek(0, SeekOrigin.End);
            return stream;
        }

        /// <summary>
        /// Creates the file <paramref name="name"/> for writing with the permission bits <paramref name="mode"/> (set
        /// exactly, whatever the umask); null when the name is taken (by anything: an existing file or link is never opened).
        /// The stream is unbuffered.
        /// </summary>
        public FileStream? CreateNew(string name, int mode)
        {
            int fd = Libc.OpenAt(Fd, Name(name), ORdWr | OCreat | OExcl | ONoFollow | OCloExec, mode & 0x1FF);
            if (fd < 0)
            {
                int errno = Marshal.GetLastWin32Error();
                return errno == EEXIST ? null : throw Failure(errno, Combine(name), "create");
            }
            var file = new SafeFileHandle((IntPtr)fd, true);
            if (Libc.Fchmod(fd, mode & 0xFFF) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                file.Dispose();
                throw Failure(errno, Combine(name), "set the mode of");
            }
            return new FileStream(file, FileAccess.ReadWrite, 0);
        }

        /// <summary>Sets this folder's own permission bits.</summary>
        public void SetMode(int mode)
        {
            if (Libc.Fchmod(Fd, mode & 0xFFF) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), Path, "set the mode of");
            }
        }

        /// <summary>
        /// Makes <paramref name="name"/> in this folder a hard link to <paramref name="existing"/> in <paramref name="folder"/>:
        /// the name itself, a link not followed.
        /// </summary>
        public void HardLink(FolderHandle folder, string existing, string name)
        {
            if (Libc.LinkAt(folder.Fd, Name(existing), Fd, Name(name), 0) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), Combine(name), "make the hard link");
            }
        }

        /// <summary>Opens an existing regular file <paramref name="name"/> of this folder, never through a link.</summary>
        public FileStream OpenFile(string name, bool write, int bufferSize)
        {
            int fd = Libc.OpenAt(Fd, Name(name), (write ? ORdWr : ORdOnly) | ONoFollow | OCloExec, 0);
            if (fd < 0)
            {
                int errno = Marshal.GetLastWin32Error();
                throw errno == ELOOP ? new LinkFoundException(Combine(name)) : Failure(errno, Combine(name), "open");
            }
            return new FileStream(new SafeFileHandle((IntPtr)fd, true), write ? FileAccess.ReadWrite : FileAccess.Read, bufferSize);
        }

        /// <summary>
        /// True when <paramref name="name"/> is a file no live writer holds (its lock can be taken) and it
        /// was removed; the lock is held across the check that the name still means that file. A symbolic link
        /// (what a write of a link killed between its symlinkat and its rename leaves, or one planted under such a
        /// name) is never opened: it cannot be locked, so one older than <paramref name="linkAge"/> is unlinked by
        /// its name, and what it points to is never touched. Anything else (a FIFO, a folder) is not a temporary
        /// of OsvPS's and is left alone, never opened.
        /// </summary>
        public bool RemoveIfUnlocked(string name, TimeSpan linkAge)
        {
            var named = Stat(name);
            if (named?.Type == UnixFileType.SymbolicLink)
            {
                return DateTime.UtcNow.Ticks - named.ModifiedTicks > linkAge.Ticks && Libc.UnlinkAt(Fd, Name(name), 0) == 0;
            }
            if (named?.Type != UnixFileType.Regular)
            {
                return false;
            }
            // Non-blocking and never through a link: a FIFO or a link swapped in since the look is not waited on nor followed.
            int fd = Libc.OpenAt(Fd, Name(name), ORdOnly | ONonBlock | ONoFollow | OCloExec, 0);
            if (fd < 0)
            {
                return false;
            }
            using (var file = new SafeFileHandle((IntPtr)fd, true))
            {
                if (Libc.Flock(fd, LockEx | LockNb) != 0)
                {
                    return false; // EWOULDBLOCK: its writer is alive
                }
                try
                {
                    var opened = UnixFile.StatAt(fd, "", noFollow: true, emptyPath: true);
                    var now = Stat(name);
                    if (opened == null || now == null || opened.Type != UnixFileType.Regular || opened.Inode != now.Inode || opened.Device != now.Device)
                    {
                        return false;
                    }
                    return Libc.UnlinkAt(Fd, Name(name), 0) == 0;
                }
                finally
                {
                    Libc.Flock(fd, LockUn);
                }
            }
        }

        public void Rename(string from, string to)
        {
            if (Libc.RenameAt(Fd, Name(from), Fd, Name(to)) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), Combine(to), "rename '" + from + "' to");
            }
        }

        /// <summary>Makes the symbolic link <paramref name="name"/> in this folder, holding <paramref name="target"/> as written.</summary>
        public void CreateLink(string name, string target)
        {
            if (Libc.SymlinkAt(System.Text.Encoding.UTF8.GetBytes(target + "\0"), Fd, Name(name)) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), Combine(name), "make the link");
            }
        }

        /// <summary>Removes the file (or link) <paramref name="name"/>; false when there was none.</summary>
        public bool Delete(string name)
        {
            if (Libc.UnlinkAt(Fd, Name(name), 0) == 0)
            {
                return true;
            }
            int errno = Marshal.GetLastWin32Error();
            return errno == ENOENT ? false : throw Failure(errno, Combine(name), "delete");
        }

        /// <summary>Removes the empty folder <paramref name="name"/>; false when it is not there or not empty.</summary>
        public bool DeleteEmptyFolder(string name) => Libc.UnlinkAt(Fd, Name(name), 0x200) == 0;

        /// <summary>Flushes the whole file system <paramref name="folder"/> is on (syncfs).</summary>
        public static void SyncFileSystem(FolderHandle folder)
        {
            if (Libc.SyncFs(folder.Fd) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), folder.Path, "flush the file system of");
            }
        }

        /// <summary>Sets the modification time of an open file (its access time is left alone).</summary>
        public static void SetModified(FileStream file, DateTime utc)
        {
            if (Libc.Futimens(file.SafeFileHandle.DangerousGetHandle().ToInt32(), Times(utc)) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), file.Name, "set the modification time of");
            }
        }

        /// <summary>Sets the modification time of <paramref name="name"/> itself (a link's own, not its target's).</summary>
        public void SetModified(string name, DateTime utc)
        {
            if (Libc.UtimensAt(Fd, Name(name), Times(utc), AtSymlinkNoFollow) != 0)
            {
                throw Failure(Marshal.GetLastWin32Error(), Combine(name), "set the modification time of");
            }
        }

        private static long[] Times(DateTime utc)
        {
            long ticks = utc.ToUniversalTime().Ticks - UnixEpochTicks;
            long seconds = ticks / TimeSpan.TicksPerSecond;
            long rest = ticks % TimeSpan.TicksPerSecond;
            if (rest < 0)
            {
                seconds--;
                rest += TimeSpan.TicksPerSecond;
            }
            return new[] { 0, UtimeOmit, seconds, rest * 100 };
        }

        /// <summary>The names in this folder. The listing goes through /proc/self/fd, which reaches this very folder.</summary>
        public IReadOnlyList<string> Names()
        {
            string self = "/proc/self/fd/" + Fd;
            return Directory.EnumerateFileSystemEntries(self).Select(System.IO.Path.GetFileName).Where(n => n != null).Select(n => n!).ToList();
        }

        /// <summary>
        /// True when this folder lies inside <paramref name="root"/> now: walking up through "..", the root
        /// is met before the top of the file system.
        /// </summary>
        public bool IsInside(UnixFileStatus root)
        {
            var current = this;
            try
            {
                for (int hops = 0; hops < 4096; hops++)
                {
                    var self = current.Self();
                    if (self.Inode == root.Inode && self.Device == root.Device)
                    {
                        return true;
                    }
                    var parent = current.Parent();
                    var above = parent.Self();
                    if (current != this)
                    {
                        current.Dispose();
                    }
                    current = parent;
                    if (above.Inode == self.Inode && above.Device == self.Device)
                    {
                        return false;
                    }
                }
                return false;
            }
            finally
            {
                if (current != this)
                {
                    current.Dispose();
                }
            }
        }

        private string Combine(string name) => Path.TrimEnd('/') + "/" + name;

        internal static IOException Failure(int errno, string path, string what)
        {
            string why = errno == 13 ? "permission denied" : errno == 28 ? "no space left on the device" : errno == 30 ? "the file system is read-only"
                : errno == 36 ? "the name is too long" : errno == 17 ? "it exists already" : errno == 2 ? "it does not exist" : "error " + errno;
            return new IOException($"cannot {what} '{path}': {why}.", errno);
        }

        public void Dispose() => handle.Dispose();
    }
}
