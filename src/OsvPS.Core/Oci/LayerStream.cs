using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// An uncompressed OCI layer holding one file under one folder (<c>disk/demo.qcow2</c>,
    /// <c>boot/osv-kernel.elf</c>), read straight from the file on the host without a copy: a ustar
    /// archive whose bytes are the same for the same file (mtime 0, numeric owner), so pushing the same image
    /// again gives the same digest and the registry already has every blob. Seekable, so an upload resumes
    /// at any offset. The owner and mode are those KubeVirt asks of a containerDisk (readable by qemu, 107:107).
    /// </summary>
    internal sealed class LayerStream : Stream
    {
        public const int QemuId = 107;
        private readonly List<(long Start, long Length, byte[]? Bytes)> segments = new List<(long, long, byte[]?)>();
        private readonly string file;
        private FileStream? input;
        private long position;

        public LayerStream(string folder, string fileName, string sourceFile)
        {
            file = sourceFile;
            FileLength = new FileInfo(sourceFile).Length;
            EntryPath = folder + "/" + fileName;
            Add(Header(folder + "/", '5', 0, 0x1ED));
            Add(Header(EntryPath, '0', FileLength, 0x120));
            segments.Add((length, FileLength, null));
            length += FileLength;
            Add(new byte[(512 - FileLength % 512) % 512 + 1024]);
        }

        /// <summary>The file's path inside the container image, without the leading '/'.</summary>
        public string EntryPath { get; }
        public long FileLength { get; }

        private long length;

        public override long Length => length;

        private void Add(byte[] bytes)
        {
            segments.Add((length, bytes.Length, bytes));
            length += bytes.Length;
        }

        /// <summary>The layer's digest and the file's own SHA-256 (both <c>sha256:hex</c>), in one read.</summary>
        public (string Layer, string File) Digests()
        {
            using (var layer = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            using (var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                Position = 0;
                foreach (var segment in segments)
                {
                    long left = segment.Length;
                    while (left > 0)
                    {
                        int n = Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                        if (n == 0)
                        {
                            throw new IOException($"'{file}' became shorter while it was read.");
                        }
                        layer.AppendData(buffer, 0, n);
                        if (segment.Bytes == null)
                        {
                            content.AppendData(buffer, 0, n);
                        }
                        left -= n;
                    }
                }
                Position = 0;
                return (Digest.Format(layer.GetHashAndReset()), Digest.Format(content.GetHashAndReset()));
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            foreach (var segment in segments)
            {
                if (position < segment.Start || position >= segment.Start + segment.Length)
                {
                    continue;
                }
                long within = position - segment.Start;
                int n = (int)Math.Min(count, segment.Length - within);
                if (segment.Bytes != null)
                {
                    Buffer.BlockCopy(segment.Bytes, (int)within, buffer, offset, n);
                }
                else
                {
                    input ??= new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                    input.Position = within;
                    n = input.Read(buffer, offset, n);
                }
                position += n;
                return n;
            }
            return 0;
        }

        // A ustar header, owner 107:107 by number only (no names, so no host maps them to another id).
        private static byte[] Header(string name, char type, long size, int mode)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            if (nameBytes.Length > 100)
            {
                throw new ArgumentException($"'{name}' is longer than a ustar name.");
            }
            var h = new byte[512];
            Buffer.BlockCopy(nameBytes, 0, h, 0, nameBytes.Length);
            Octal(h, 100, 8, mode);
            Octal(h, 108, 8, QemuId);
            Octal(h, 116, 8, QemuId);
            Octal(h, 124, 12, size);
            Octal(h, 136, 12, 0);
            h[156] = (byte)type;
            Encoding.ASCII.GetBytes("ustar\0").CopyTo(h, 257);
            h[263] = (byte)'0';
            h[264] = (byte)'0';
            long sum = 0;
            for (int i = 0; i < 512; i++)
            {
                sum += i >= 148 && i < 156 ? 32 : h[i];
            }
            Octal(h, 148, 7, sum);
            h[155] = (byte)' ';
            return h;
        }

        private static void Octal(byte[] h, int at, int length, long value)
        {
            string text = Convert.ToString(value, 8).PadLeft(length - 1, '0');
            if (text.Length <= length - 1)
            {
                Encoding.ASCII.GetBytes(text).CopyTo(h, at);
                return;
            }
            for (int i = length - 1; i > 0; i--, value >>= 8)
            {
                h[at + i] = (byte)value;
            }
            h[at] = 0x80;
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;

        public override long Position
        {
            get => position;
            set => position = value < 0 || value > Length ? throw new ArgumentOutOfRangeException(nameof(value)) : value;
        }

        public override long Seek(long offset, SeekOrigin origin)
            => Position = origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? position + offset : Length + offset;

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input?.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>OCI digests: <c>sha256:</c> and the lowercase hex of the hash.</summary>
    internal static class Digest
    {
        public static string Format(byte[] hash) => "sha256:" + BitConverter.ToString(hash).Replace("-", "").ToLowerInvariant();

        public static string Of(byte[] bytes)
        {
            using (var sha = SHA256.Create())
            {
                return Format(sha.ComputeHash(bytes));
            }
        }

        public static string OfFile(string path)
        {
            using (var sha = SHA256.Create())
            using (var stream = File.OpenRead(path))
            {
                return Format(sha.ComputeHash(stream));
            }
        }

        /// <summary>The hex part, for file names.</summary>
        public static string Hex(string digest) => digest.Substring(digest.IndexOf(':') + 1);

        public static bool IsValid(string? digest) => digest != null && System.Text.RegularExpressions.Regex.IsMatch(digest, "^sha256:[a-f0-9]{64}$");
    }
}
