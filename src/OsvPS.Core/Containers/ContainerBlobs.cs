using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Containers
{
    /// <summary>Where an image's layer bytes come from: a layout's blobs, an archive's members, a registry's downloads.</summary>
    internal interface IContainerBlobs : IDisposable
    {
        /// <summary>
        /// The stored bytes of layer <paramref name="index"/>, and whether their digest was checked already (a download
        /// is checked as it arrives); otherwise the reader checks it as it reads them.
        /// </summary>
        (Stream Stream, bool Checked) OpenLayer(int index, ContainerLayer layer, CancellationToken cancellation);

        /// <summary>A layer was unpacked: what was kept only for it can go.</summary>
        void Unpacked(int index, ContainerLayer layer);
    }

    /// <summary>Reading of the small files of an image (index, manifest, config, an archive's manifest.json) and of a layout's files.</summary>
    internal static class ImageFiles
    {
        /// <summary>The distribution registry's limit for a manifest; configs get the same.</summary>
        public const int MaxDocumentBytes = 4 << 20;

        /// <summary>Reads all of <paramref name="input"/>, refusing more than <see cref="MaxDocumentBytes"/>.</summary>
        public static byte[] ReadBounded(Stream input, string what, Func<string, OsvException> invalid)
        {
            using (var buffer = new MemoryStream())
            {
                var chunk = new byte[1 << 16];
                int n;
                while ((n = input.Read(chunk, 0, chunk.Length)) > 0)
                {
                    if (buffer.Length + n > MaxDocumentBytes)
                    {
                        throw invalid($"{what} is larger than the {MaxDocumentBytes >> 20} MiB OsvPS reads");
                    }
                    buffer.Write(chunk, 0, n);
                }
                return buffer.ToArray();
            }
        }

        /// <summary>
        /// Opens the regular file <paramref name="names"/> under <paramref name="folder"/>, one name at a time and never
        /// through a link below the folder (a layout's blob that is a link is not followed, wherever it points); null when missing.
        /// </summary>
        public static FileStream? OpenUnder(string folder, params string[] names)
        {
            FolderHandle? current = null;
            try
            {
                current = FolderHandle.OpenPath(folder, followLast: true);
                for (int i = 0; i < names.Length - 1; i++)
                {
                    var next = current.OpenChild(names[i], create: false);
                    current.Dispose();
                    current = next;
                }
                string last = names[names.Length - 1];
                var status = current.Stat(last);
                if (status == null)
                {
                    return null;
                }
                if (status.Type != UnixFileType.Regular)
                {
                    throw new IOException($"'{Path.Combine(folder, string.Join("/", names))}' is {UnixFile.Describe(status.Type)}, not a regular file");
                }
                return current.OpenFile(last, write: false, 1 << 16);
            }
            catch (IOException e) when (e.HResult == 2 || e.HResult == 20)
            {
                return null;
            }
            finally
            {
                current?.Dispose();
            }
        }
    }

    /// <summary>A read-only view of <c>length</c> bytes of a seekable stream from <c>start</c> (a member of an archive).</summary>
    internal sealed class StreamWindow : Stream
    {
        private readonly Stream inner;
        private readonly long start;
        private long position;

        public StreamWindow(Stream inner, long start, long length)
        {
            this.inner = inner;
            this.start = start;
            Length = length;
        }

        public override long Length { get; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, Length - position);
            if (n <= 0)
            {
                return 0;
            }
            inner.Position = start + position;
            n = inner.Read(buffer, offset, n);
            position += n;
            return n;
        }

        public override long Position
        {
            get => position;
            set => position = value < 0 || value > Length ? throw new ArgumentOutOfRangeException(nameof(value)) : value;
        }

        public override long Seek(long offset, SeekOrigin origin)
            => Position = origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? position + offset : Length + offset;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
