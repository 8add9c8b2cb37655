using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace OsvPS.Core.IO
{
    /// <summary>Reads symbolic links (.NET Standard 2.0 has no API for it).</summary>
    internal static class SymbolicLink
    {
        public static bool IsLink(FileSystemInfo info) => (info.Attributes & FileAttributes.ReparsePoint) != 0;

        /// <summary>The target of the link at <paramref name="path"/>, as written in the link.</summary>
        public static string ReadTarget(string path)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                throw new PlatformNotSupportedException($"reading the symbolic link '{path}' is supported on Linux and macOS only.");
            }
            byte[] name = Encoding.UTF8.GetBytes(path + "\0");
            var buffer = new byte[4096];
            while (true)
            {
                long n = Libc.ReadLink(name, buffer, (IntPtr)buffer.Length).ToInt64();
                if (n < 0)
                {
                    throw new IOException($"cannot read the symbolic link '{path}' (errno {Marshal.GetLastWin32Error()}).");
                }
                if (n < buffer.Length)
                {
                    return Encoding.UTF8.GetString(buffer, 0, (int)n);
                }
                buffer = new byte[buffer.Length * 4];
            }
        }
    }
}
