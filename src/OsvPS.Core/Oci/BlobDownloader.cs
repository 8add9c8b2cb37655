using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// Fetches a blob into a cache folder as <c>&lt;hex&gt;.partial</c> and names it <c>&lt;hex&gt;.blob</c>
    /// only when its size and SHA-256 are the ones the manifest gives. Blobs are addressed by content, so a
    /// partial file left by a broken or stopped pull is always the start of the same bytes: the next try
    /// (in this call, up to <see cref="RegistryOptions.Attempts"/>, or a later call) asks for the rest with a
    /// Range request; a registry that ignores Range sends it whole again. A wrong digest deletes the download.
    /// </summary>
    internal sealed class BlobDownloader
    {
        /// <summary>A write-only stream that feeds a hash.</summary>
        internal sealed class HashingSink : Stream
        {
            private readonly IncrementalHash hash;

            public HashingSink(IncrementalHash hash) => this.hash = hash;

            public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }

        private readonly RegistryClient client;
        private readonly ContainedFolder store;
        private readonly string cache;
        private readonly IProgress<TransferProgress>? progress;

        /// <param name="store">The repository's writer: every file of the cache is written through it, never through a link.</param>
        public BlobDownloader(RegistryClient client, ContainedFolder store, string cache, IProgress<TransferProgress>? progress)
        {
            this.client = client;
            this.store = store;
            this.cache = cache;
            this.progress = progress;
        }


        public string BlobPath(string digest) => Path.Combine(cache, Digest.Hex(digest) + ".blob");

        public string PartialPath(string digest) => Path.Combine(cache, Digest.Hex(digest) + ".partial");

        public string Fetch(string name, OciDescriptor blob, CancellationToken cancellation)
        {
            store.CreateFolder(cache);
            string done = BlobPath(blob.Digest), partial = PartialPath(blob.Digest);
            if (File.Exists(done) && new FileInfo(done).Length == blob.Size && Digest.OfFile(done) == blob.Digest)
            {
                return done;
            }
            OsvException? last = null;
            string? actual = null;
            for (int attempt = 1; attempt <= Math.Max(1, client.Options.Attempts); attempt++)
            {
                try
                {
                    actual = Receive(name, blob, partial, cancellation);
                    last = null;
                    break;
                }
                catch (OsvException e) when (e.ErrorId == ErrorIds.RegistryUnreachable && !cancellation.IsCancellationRequested)
                {
                    last = e;
                }
            }
            if (last != null)
            {
                throw new OsvException(ErrorIds.OciDownloadFailed, OsvErrorKind.ConnectionError,
                    $"the download of {name} from {client.Reference.Name} broke off {client.Options.Attempts} times; what arrived is kept and the next pull resumes it. Last: {last.Message}",
                    client.Reference.ToString(), last);
            }
            if (actual != blob.Digest)
            {
                store.Delete(partial);
                throw RemoteManifest.Mismatch(client.Reference, name, blob.Digest, actual!);
            }
            store.Move(partial, done);
            return done;
        }

        // Fetches the rest of the blob into the partial file; returns the digest of the whole file, hashed as it arrives.
        private string Receive(string name, OciDescriptor blob, string partial, CancellationToken cancellation)
        {
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (have > blob.Size)
            {
                store.Delete(partial);
                have = 0;
            }
            if (have == blob.Size)
            {
                return Digest.OfFile(partial);
            }
            HttpRequestMessage Make()
            {
                var request = new HttpRequestMessage(HttpMethod.Get, client.Url("blobs/" + blob.Digest));
                if (have > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(have, null);
                }
                return request;
            }
            using (var response = client.Send(Make, name, cancellation))
            {
                if (response.StatusCode != HttpStatusCode.OK && response.StatusCode != HttpStatusCode.PartialContent)
                {
                    throw client.Failure(response, name + " (" + blob.Digest + ")", ErrorIds.OciManifestNotFound);
                }
                bool resumed = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
                if (!resumed)
                {
                    have = 0;
                }
                using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                using (var input = response.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
                {
                    if (resumed)
                    {
                        // What arrived before is hashed first, so the whole file's digest comes out of this one pass.
                        using (var before = UnixFile.OpenRegular(partial))
                        {
                            before.CopyTo(new HashingSink(hash), 1 << 20);
                        }
                    }
                    using (var output = store.OpenForWriting(partial, append: resumed))
                    {
                    var buffer = new byte[1 << 16];
                    long received = have;
                    var limits = client.Options.Limits;
                    var floor = new TransferFloor(limits);
                    try
                    {
                        while (true)
                        {
                            int n;
                            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                            {
                                idle.CancelAfter(limits.IdleTimeout);
                                try
                                {
                                    n = input.ReadAsync(buffer, 0, buffer.Length, idle.Token).GetAwaiter().GetResult();
                                }
                                catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
                                {
                                    throw new IOException($"no data for {limits.IdleTimeout.TotalSeconds:0} s", e);
                                }
                            }
                            if (n == 0)
                            {
                                break;
                            }
                            floor.Moved(received + n - have);
                            if (floor.Shortfall() is string slow)
                            {
                                throw new IOException(slow);
                            }
                            if (received + n > blob.Size)
                            {
                                throw new OsvException(ErrorIds.OciDigestMismatch, OsvErrorKind.InvalidData,
                                    $"{client.Reference.Registry} sent more of {name} than the {blob.Size} bytes its manifest gives.", client.Reference.ToString());
                            }
                            output.Write(buffer, 0, n);
                            hash.AppendData(buffer, 0, n);
                            received += n;
                            progress?.Report(new TransferProgress("Downloading", name, received, blob.Size));
                        }
                    }
                    catch (IOException e) when (DiskSpace.IsFull(e))
                    {
                        // Not kept for a resume: a full disk is given its space back.
                        output.Dispose();
                        store.Delete(partial);
                        throw new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                            $"the disk of '{cache}' filled up while {name} of {client.Reference.Name} was written ({blob.Size} bytes); what was written was removed. Free some space and pull again.", client.Reference.ToString(), e);
                    }
                    catch (Exception e) when ((e is IOException || e is HttpRequestException || e is OperationCanceledException) && !cancellation.IsCancellationRequested)
                    {
                        output.Flush(false);
                        throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                            $"the download of {name} broke off after {received} of {blob.Size} bytes ({e.Message})", client.Reference.ToString(), e);
                    }
                    if (received != blob.Size)
                    {
                        throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                            $"the download of {name} ended after {received} of {blob.Size} bytes", client.Reference.ToString());
                    }
                    // Not synced: the blob is a step on the way (deleted once the image is out of it); the image file is.
                    output.Flush(false);
                    return Digest.Format(hash.GetHashAndReset());
                    }
                }
            }
        }
    }
}
