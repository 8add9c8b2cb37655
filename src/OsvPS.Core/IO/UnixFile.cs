using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using OsvPS.Core.Errors;

namespace OsvPS.Core.IO
{
    /// <summary>What a path leads to, symbolic links followed.</summary>
    internal enum UnixFileType
    {
        Regular,
        Directory,
        Fifo,
        CharacterDevice,
        BlockDevice,
        Socket,
        Other,
        /// <summary>Only when links are not followed.</summary>
        SymbolicLink,
    }

    /// <summary>The type, size and modification time of a file, symbolic links followed.</summary>
    internal sealed class UnixFileStatus
    {
        internal UnixFileStatus(UnixFileType type, long size, long modifiedTicks, ulong device = 0, ulong inode = 0, uint owner = 0, int permissions = 0, long changedTicks = 0)
        {
            ChangedTicks = changedTicks;
            Type = type;
            Size = size;
            ModifiedTicks = modifiedTicks;
            Device = device;
            Inode = inode;
            Owner = owner;
            Permissions = permissions;
        }

        /// <summary>The file's device and inode (0 where the system does not say): what identifies it.</summary>
        public ulong Device { get; }
        public ulong Inode { get; }
        /// <summary>When the file's inode last changed (UTC ticks; 0 where unknown): unlike the modification time, no one can set it back.</summary>
        public long ChangedTicks { get; }
        /// <summary>The owner's user id.</summary>
        public uint Owner { get; }
        /// <summary>The permission bits (e.g. 0700).</summary>
        public int Permissions { get; }

        public UnixFileType Type { get; }
        public long Size { get; }
        /// <summary>The modification time in UTC ticks (100 ns), the precision .NET can set it with.</summary>
        public long ModifiedTicks { get; }
        public DateTime ModifiedUtc => new DateTime(ModifiedTicks, DateTimeKind.Utc);
    }

    /// <summary>
    /// The few Linux calls .NET Standard 2.0 lacks: statx (a file's type before opening it, so a FIFO
    /// never blocks a read, and the time behind a symbolic link), copy_file_range and FICLONE (copies
    /// that stay in the kernel or share blocks), and syncfs (one flush for many files). Elsewhere each
    /// falls back to what .NET offers.
    /// </summary>
    internal static class UnixFile
    {
        private const int AtFdCwd = -100;
        private const int StatxBasicStats = 0x7ff;
        private const int AtSymlinkNoFollow = 0x100;
        private const int AtEmptyPath = 0x1000;
        private const int ORdOnly = 0;
        private const int ONoFollow = 0x20000;
        private const int OCloExec = 0x80000;
        private const int ONonBlock = 0x800;
        private const int FGetFl = 3, FSetFl = 4;
        private const uint Ficlone = 0x40049409;
        private const int ENOENT = 2;
        private const int ENOTDIR = 20;
        private const int ENOSYS = 38;

        private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        private static readonly bool IsLinux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        private static bool statxMissing;
        private static bool copyRangeMissing;

        /// <summary>The status of <paramref name="path"/> with links followed (or, with <paramref name="noFollow"/>, of a link itself); null when it does not exist.</summary>
        public static UnixFileStatus? Stat(string path, bool noFollow = false)
        {
            if (IsLinux && !statxMissing)
            {
                var buffer = new byte[256];
                try
                {
                    if (Libc.Statx(AtFdCwd, Encoding.UTF8.GetBytes(path + "\0"), noFollow ? AtSymlinkNoFollow : 0, StatxBasicStats, buffer) == 0)
                    {
                        return FromStatx(buffer);
                    }
                    int errno = Marshal.GetLastWin32Error();
                    if (errno == ENOENT || errno == ENOTDIR)
                    {
                        return null;
                    }
                    if (errno != ENOSYS)
                    {
                        throw new IOException($"cannot look at '{path}': {Describe(errno)}.");
                    }
                }
                catch (EntryPointNotFoundException)
                {
                }
                statxMissing = true;
            }
            return ManagedStat(path);
        }

        /// <summary>
        /// The status of <paramref name="name"/> in the open folder <paramref name="dirfd"/> (or, with
        /// <paramref name="emptyPath"/>, of the open file <paramref name="dirfd"/> itself); null when it does not exist.
        /// </summary>
        internal static UnixFileStatus? StatAt(int dirfd, string name, bool noFollow, bool emptyPath = false)
        {
            var buffer = new byte[256];
            int flags = (noFollow ? AtSymlinkNoFollow : 0) | (emptyPath ? AtEmptyPath : 0);
            if (Libc.Statx(dirfd, Encoding.UTF8.GetBytes(name + "\0"), flags, StatxBasicStats, buffer) == 0)
            {
                return FromStatx(buffer);
            }
            int errno = Marshal.GetLastWin32Error();
            return errno == ENOENT || errno == ENOTDIR ? null : throw new IOException($"cannot look at '{name}': {Describe(errno)}.", errno);
        }

        private static string Describe(int errno)
        {
            switch (errno)
            {
                case 13: return "permission denied";
                case 36: return "the name is too long";
                case 40: return "too many levels of symbolic links";
                default: return "error " + errno;
            }
        }

        private static UnixFileStatus FromStatx(byte[] buffer)
        {
            uint owner = BitConverter.ToUInt32(buffer, 20);
            int mode = BitConverter.ToUInt16(buffer, 28);
            ulong inode = BitConverter.ToUInt64(buffer, 32);
            long size = BitConverter.ToInt64(buffer, 40);
            long seconds = BitConverter.ToInt64(buffer, 112);
            uint nanoseconds = BitConverter.ToUInt32(buffer, 120);
            ulong device = (ulong)BitConverter.ToUInt32(buffer, 136) << 32 | BitConverter.ToUInt32(buffer, 140);
            long ticks = UnixEpochTicks + seconds * TimeSpan.TicksPerSecond + nanoseconds / 100;
            long changed = UnixEpochTicks + BitConverter.ToInt64(buffer, 96) * TimeSpan.TicksPerSecond + BitConverter.ToUInt32(buffer, 104) / 100;
            return new UnixFileStatus(TypeOf(mode), size, ticks, device, inode, owner, mode & 0xFFF, changed);
        }

        /// <summary>
        /// Opens <paramref name="path"/> for reading without following a symbolic link in its last part (unless
        /// <paramref name="followLinks"/>: a path the user named, or a library found through its soname link), and
        /// checks that the file opened is <paramref name="planned"/> (same device, inode, size and time): a file
        /// swapped for a link or for another file, or reached through a folder swapped for one, is refused instead of
        /// read. Elsewhere than on Linux it is an ordinary open.
        /// </summary>
        public static FileStream OpenPlanned(string path, UnixFileStatus? planned, bool followLinks = false)
        {
            if (!IsLinux || planned == null || planned.Inode == 0)
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            }
            // Non-blocking, so that a FIFO put there since cannot hold the open; it is seen for what it is below.
            int fd = Libc.Open(Encoding.UTF8.GetBytes(path + "\0"), ORdOnly | ONonBlock | OCloExec | (followLinks ? 0 : ONoFollow), 0);
            if (fd < 0)
            {
                int errno = Marshal.GetLastWin32Error();
                throw new IOException(errno == 40 && !followLinks ? $"'{path}' became a symbolic link after the build was planned." : $"cannot open '{path}': {Describe(errno)}.");
            }
            var (handle, opened) = StatOpened(fd, path);
            if (opened.Inode != planned.Inode || opened.Device != planned.Device || opened.Type != UnixFileType.Regular ||
                opened.Size != planned.Size || opened.ModifiedTicks != planned.ModifiedTicks)
            {
                handle.Dispose();
                throw new IOException($"'{path}' is no longer the file the build planned (it was replaced while the image was written).");
            }
            int flags = Libc.Fcntl(fd, FGetFl, 0);
            if (flags >= 0)
            {
                Libc.Fcntl(fd, FSetFl, flags & ~ONonBlock);
            }
            return new FileStream(handle, FileAccess.Read, 1);
        }

        /// <summary>
        /// Opens <paramref name="path"/> (links followed) for reading only when it is a regular file. The open itself
        /// cannot block: it is non-blocking, so a FIFO put where a file was expected (by a hostile root, layer or auth
        /// file) is opened at once, seen for what it is and refused, instead of waiting for a writer forever. A folder,
        /// FIFO, device or socket is an <see cref="IOException"/> that says which.
        /// </summary>
        public static FileStream OpenRegular(string path)
        {
            if (!IsLinux)
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
            }
            int fd = Libc.Open(Encoding.UTF8.GetBytes(path + "\0"), ORdOnly | ONonBlock | OCloExec, 0);
            if (fd < 0)
            {
                int errno = Marshal.GetLastWin32Error();
                if (errno == ENOENT || errno == ENOTDIR)
                {
                    throw new FileNotFoundException($"'{path}' does not exist.", path);
                }
                throw new IOException($"cannot open '{path}': {Describe(errno)}.");
            }
            var (handle, opened) = StatOpened(fd, path);
            if (opened.Type != UnixFileType.Regular)
            {
                handle.Dispose();
                throw new IOException($"'{path}' is {Describe(opened.Type)}, not a regular file.");
            }
            // Reads of a regular file never wait on O_NONBLOCK; it is cleared all the same, for what reads it next.
            int flags = Libc.Fcntl(fd, FGetFl, 0);
            if (flags >= 0)
            {
                Libc.Fcntl(fd, FSetFl, flags & ~ONonBlock);
            }
            return new FileStream(handle, FileAccess.Read, 1 << 16);
        }

        // The descriptor as a handle, and what it opened (statx on the descriptor itself, so no path is looked up again).
        private static (SafeFileHandle Handle, UnixFileStatus Status) StatOpened(int fd, string path)
        {
            var handle = new SafeFileHandle((IntPtr)fd, true);
            var buffer = new byte[256];
            if (Libc.Statx(fd, new byte[] { 0 }, AtEmptyPath, StatxBasicStats, buffer) != 0)
            {
                handle.Dispose();
                throw new IOException($"cannot look at '{path}' once opened.");
            }
            return (handle, FromStatx(buffer));
        }

        /// <summary>What a file of <paramref name="type"/> is, in words (<c>a FIFO (named pipe)</c>).</summary>
        public static string Describe(UnixFileType type)
        {
            switch (type)
            {
                case UnixFileType.Directory: return "a folder";
                case UnixFileType.Fifo: return "a FIFO (named pipe)";
                case UnixFileType.CharacterDevice:
                case UnixFileType.BlockDevice: return "a device";
                case UnixFileType.Socket: return "a socket";
                case UnixFileType.SymbolicLink: return "a symbolic link";
                case UnixFileType.Regular: return "a regular file";
                default: return "not a regular file";
            }
        }

        private static UnixFileType TypeOf(int mode)
        {
            switch (mode & 0xF000)
            {
                case 0x8000: return UnixFileType.Regular;
                case 0x4000: return UnixFileType.Directory;
                case 0x1000: return UnixFileType.Fifo;
                case 0x2000: return UnixFileType.CharacterDevice;
                case 0x6000: return UnixFileType.BlockDevice;
                case 0xC000: return UnixFileType.Socket;
                case 0xA000: return UnixFileType.SymbolicLink;
                default: return UnixFileType.Other;
            }
        }

        // Without statx: follow the links by hand, and take what .NET says (it cannot tell a FIFO).
        private static UnixFileStatus? ManagedStat(string path)
        {
            string current = path;
            for (int hops = 0; hops < 40; hops++)
            {
                var info = new FileInfo(current);
                if (Directory.Exists(current) && !SymbolicLink.IsLink(info))
                {
                    return new UnixFileStatus(UnixFileType.Directory, 0, new DirectoryInfo(current).LastWriteTimeUtc.Ticks);
                }
                if (!info.Exists)
                {
                    return null;
                }
                if (!SymbolicLink.IsLink(info) || RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    return new UnixFileStatus(UnixFileType.Regular, info.Length, info.LastWriteTimeUtc.Ticks);
                }
                string target = SymbolicLink.ReadTarget(current);
                current = Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(current) ?? "/", target);
            }
            throw new IOException($"'{path}': too many levels of symbolic links.");
        }

        /// <summary>
        /// Refuses anything but a regular file (or a link to one), before it is opened: a missing file
        /// with <paramref name="missingId"/>, a folder, FIFO, device or socket with <paramref name="wrongTypeId"/>,
        /// and a path that cannot be looked at (a link loop, no permission) with FileReadFailed.
        /// </summary>
        public static UnixFileStatus RequireRegular(string path, Errors.ErrorId missingId, Errors.ErrorId wrongTypeId)
        {
            UnixFileStatus? status;
            try
            {
                status = Stat(path);
            }
            catch (IOException e)
            {
                throw new Errors.OsvException(Errors.ErrorIds.FileReadFailed, Errors.OsvErrorKind.ReadError, e.Message, path, e);
            }
            if (status == null)
            {
                throw new Errors.OsvException(missingId, Errors.OsvErrorKind.ObjectNotFound, $"'{path}' does not exist.", path);
            }
            if (status.Type != UnixFileType.Regular)
            {
                throw new Errors.OsvException(wrongTypeId, Errors.OsvErrorKind.InvalidArgument, $"'{path}' is {Describe(status.Type)}, not a regular file.", path);
            }
            return status;
        }

        /// <summary>
        /// Copies all of <paramref name="source"/> into <paramref name="target"/> (both at offset 0, target
        /// empty): shared blocks when the file system can (FICLONE), else copy_file_range, else a plain copy.
        /// </summary>
        public static void Copy(FileStream source, FileStream target, long length)
        {
            if (IsLinux)
            {
                int fdIn = Descriptor(source.SafeFileHandle);
                int fdOut = Descriptor(target.SafeFileHandle);
                try
                {
                    if (length > 0 && Libc.Ioctl(fdOut, Ficlone, fdIn) == 0)
                    {
                        target.Seek(0, SeekOrigin.End);
                        return;
                    }
                    if (!copyRangeMissing && CopyRange(fdIn, fdOut, length))
                    {
                        target.Seek(0, SeekOrigin.End);
                        return;
                    }
                }
                catch (EntryPointNotFoundException)
                {
                    copyRangeMissing = true;
                }
                // Nothing was written yet, or a partial range copy: start over from the beginning.
                source.Seek(0, SeekOrigin.Begin);
                target.SetLength(0);
                target.Seek(0, SeekOrigin.Begin);
            }
            source.CopyTo(target, 1 << 20);
        }

        private static bool CopyRange(int fdIn, int fdOut, long length)
        {
            long done = 0;
            while (done < length)
            {
                long n = Libc.CopyFileRange(fdIn, IntPtr.Zero, fdOut, IntPtr.Zero, (IntPtr)Math.Min(length - done, 1L << 30), 0).ToInt64();
                if (n <= 0)
                {
                    return false;
                }
                done += n;
            }
            return true;
        }

        private static int Descriptor(SafeFileHandle handle) => handle.DangerousGetHandle().ToInt32();

        /// <summary>
        /// Makes the data of <paramref name="files"/> (all on one file system) durable with one flush:
        /// syncfs of that file system on Linux, else a flush of each file.
        /// </summary>
        public static void SyncAll(IReadOnlyCollection<string> files)
        {
            if (files.Count == 0)
            {
                return;
            }
            if (IsLinux)
            {
                try
                {
                    using (var any = new FileStream(files.First(), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
                    {
                        if (Libc.SyncFs(Descriptor(any.SafeFileHandle)) == 0)
                        {
                            return;
                        }
                    }
                }
                catch (EntryPointNotFoundException)
                {
                }
            }
            foreach (string file in files)
            {
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1))
                {
                    stream.Flush(true);
                }
            }
        }
    }
}
