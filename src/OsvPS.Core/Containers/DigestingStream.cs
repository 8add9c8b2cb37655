using System;
using System.IO;
using System.Security.Cryptography;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>
    /// Reads through to another stream, counting the bytes and (when asked) hashing them with SHA-256, and stops with
    /// the error <c>over</c> makes once more than <c>limit</c> bytes came through (a gzip bomb ends there).
    /// </summary>
    internal sealed class DigestingStream : Stream
    {
        private readonly Stream inner;
        private readonly IncrementalHash? hash;
        private readonly long limit;
        private readonly Func<Exception> over;

        public DigestingStream(Stream inner, bool hashed, long limit, Func<Exception> over)
        {
            this.inner = inner;
            this.limit = limit;
            this.over = over;
            hash = hashed ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        }

        /// <summary>The bytes read so far.</summary>
        public long Count { get; private set; }

        /// <summary>The <c>sha256:</c> digest of what was read (once it is all read); null when not hashed.</summary>
        public string? Digest => hash == null ? null : Oci.Digest.Format(hash.GetCurrentHash());

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            hash?.AppendData(buffer, offset, n);
            Count += n;
            if (Count > limit)
            {
                throw over();
            }
            return n;
        }

        /// <summary>Reads to the end (what follows a tar's end marker still counts in its digest); returns how much there was.</summary>
        public long Drain()
        {
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = Read(buffer, 0, buffer.Length)) > 0)
            {
                total += n;
            }
            return total;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                hash?.Dispose();
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
