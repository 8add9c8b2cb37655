using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// Sends blobs as the distribution spec says: HEAD first (a blob the repository has is not sent
    /// again), then POST for an upload session and either one PUT with the whole body or PATCH chunks
    /// (<c>Content-Range</c>, following each <c>Location</c> the registry gives) and a closing PUT with the
    /// digest; the registry's <c>Docker-Content-Digest</c> must be the digest sent. A chunked upload that
    /// breaks asks the session how much it holds (GET on its Location, <c>Range</c>) and goes on from there;
    /// otherwise the upload starts again in a new session, at most <see cref="RegistryOptions.Attempts"/>
    /// times. A session given up is cancelled (DELETE), so the registry keeps nothing half-sent.
    /// </summary>
    internal sealed class BlobUploader
    {
        private readonly RegistryClient client;
        private readonly IProgress<TransferProgress>? progress;

        public BlobUploader(RegistryClient client, IProgress<TransferProgress>? progress)
        {
            this.client = client;
            this.progress = progress;
        }

        public bool Exists(string digest, CancellationToken cancellation)
        {
            using (var response = client.Send(() => new HttpRequestMessage(HttpMethod.Head, client.Url("blobs/" + digest)), "blob " + digest, cancellation))
            {
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return false;
                }
                throw client.Failure(response, "blob " + digest, null);
            }
        }

        /// <summary>Sends the blob unless the repository has it; true when it was sent.</summary>
        public bool Upload(string name, string digest, long size, Func<Stream> open, CancellationToken cancellation)
        {
            if (Exists(digest, cancellation))
            {
                return false;
            }
            Exception? last = null;
            for (int attempt = 1; attempt <= Math.Max(1, client.Options.Attempts); attempt++)
            {
                Uri session = Start(digest, cancellation);
                try
                {
                    using (var body = open())
                    {
                        if (client.Options.ChunkSize > 0 && size > client.Options.ChunkSize)
                        {
                            session = SendChunks(name, session, body, size, cancellation);
                            SendSlice(name, HttpMethod.Put, WithDigest(session, digest), body, size, 0, size, cancellation);
                        }
                        else
                        {
                            SendSlice(name, HttpMethod.Put, WithDigest(session, digest), body, 0, size, size, cancellation);
                        }
                    }
                    return true;
                }
                catch (OsvException e) when (e.ErrorId == ErrorIds.RegistryUnreachable && !cancellation.IsCancellationRequested)
                {
                    last = e;
                    Cancel(session);
                }
                catch
                {
                    Cancel(session);
                    throw;
                }
            }
            throw new OsvException(ErrorIds.OciUploadFailed, OsvErrorKind.ConnectionError,
                $"the upload of {name} ({digest}) to {client.Reference.Name} broke off {client.Options.Attempts} times; nothing was tagged. Last: {last?.Message}",
                client.Reference.ToString(), last);
        }

        private Uri Start(string digest, CancellationToken cancellation)
        {
            using (var response = client.Send(() => new HttpRequestMessage(HttpMethod.Post, client.Url("blobs/uploads/")) { Content = Empty() }, "a blob upload", cancellation))
            {
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw client.Failure(response, "a new blob upload of " + digest, null);
                }
                return client.Resolve(response);
            }
        }

        private Uri SendChunks(string name, Uri session, Stream body, long size, CancellationToken cancellation)
        {
            long offset = 0;
            int broken = 0;
            while (offset < size)
            {
                long length = Math.Min(client.Options.ChunkSize, size - offset);
                try
                {
                    session = SendSlice(name, new HttpMethod("PATCH"), session, body, offset, length, size, cancellation);
                    offset += length;
                }
                catch (OsvException e) when (e.ErrorId == ErrorIds.RegistryUnreachable && !cancellation.IsCancellationRequested && ++broken < client.Options.Attempts)
                {
                    // Resume where the session says it is, at the Location it gives now (the distribution
                    // registry's carries the offset); a session that cannot say restarts the blob.
                    var received = Received(session, cancellation);
                    if (received == null)
                    {
                        throw;
                    }
                    (offset, session) = received.Value;
                }
            }
            return session;
        }

        // How many bytes the upload session holds (GET on it answers 204 with Range: 0-<last>), or null.
        private (long, Uri)? Received(Uri session, CancellationToken cancellation)
        {
            try
            {
                using (var response = client.Send(() => new HttpRequestMessage(HttpMethod.Get, session), "the upload's status", cancellation))
                {
                    if (response.StatusCode != HttpStatusCode.NoContent)
                    {
                        return null;
                    }
                    var at = response.Headers.Location == null ? session : client.Resolve(response);
                    if (!response.Headers.TryGetValues("Range", out var values))
                    {
                        return (0, at);
                    }
                    string range = values.First();
                    int dash = range.IndexOf('-');
                    return dash >= 0 && long.TryParse(range.Substring(dash + 1), out long last) ? (last + 1, at) : ((long, Uri)?)null;
                }
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.RegistryUnreachable)
            {
                return null;
            }
        }

        private Uri SendSlice(string name, HttpMethod method, Uri target, Stream body, long offset, long length, long total, CancellationToken cancellation)
        {
            bool closing = method == HttpMethod.Put;
            long done = offset;
            HttpRequestMessage Make()
            {
                var request = new HttpRequestMessage(method, target) { Content = length == 0 ? Empty() : new SliceContent(body, offset, length, n => Interlocked.Exchange(ref done, n)) };
                if (!closing)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
                }
                return request;
            }
            using (var response = client.Send(Make, $"{name} (bytes {offset}-{offset + length})", cancellation, System.Threading.Timeout.InfiniteTimeSpan, resendable: false,
                tick: () => progress?.Report(new TransferProgress("Uploading", name, Interlocked.Read(ref done), total)),
                bodySent: () => Interlocked.Read(ref done) - offset, bodyLength: length))
            {
                if (closing)
                {
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        throw client.Failure(response, "the end of the upload of " + name, null);
                    }
                    string? sent = target.Query.Split('&').Select(p => p.TrimStart('?')).FirstOrDefault(p => p.StartsWith("digest=", StringComparison.Ordinal));
                    string digest = Uri.UnescapeDataString(sent?.Substring(7) ?? "");
                    if (response.Headers.TryGetValues("Docker-Content-Digest", out var said) && said.First() != digest)
                    {
                        throw new OsvException(ErrorIds.OciDigestMismatch, OsvErrorKind.InvalidData,
                            $"{client.Reference.Registry} stored {name} as {said.First()}, not as {digest} that was sent; nothing was tagged.", client.Reference.ToString());
                    }
                    return target;
                }
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw client.Failure(response, $"a chunk of {name}", null);
                }
                return client.Resolve(response);
            }
        }

        private static Uri WithDigest(Uri session, string digest)
        {
            var builder = new UriBuilder(session);
            string query = builder.Query.TrimStart('?');
            builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
            return builder.Uri;
        }

        private void Cancel(Uri session)
        {
            try
            {
                client.Send(() => new HttpRequestMessage(HttpMethod.Delete, session), "the cancel of an upload", CancellationToken.None, TimeSpan.FromSeconds(10)).Dispose();
            }
            catch (OsvException)
            {
                // The registry drops abandoned sessions itself (the distribution registry's purge).
            }
        }

        private static HttpContent Empty()
        {
            var content = new ByteArrayContent(new byte[0]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return content;
        }

        /// <summary>A range of a seekable stream as a request body with a Content-Length, reporting what went out.</summary>
        private sealed class SliceContent : HttpContent
        {
            private readonly Stream source;
            private readonly long offset;
            private readonly long length;
            private readonly Action<long> sent;

            public SliceContent(Stream source, long offset, long length, Action<long> sent)
            {
                this.source = source;
                this.offset = offset;
                this.length = length;
                this.sent = sent;
                Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                Headers.ContentLength = length;
            }

            protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            {
                source.Position = offset;
                var buffer = new byte[1 << 18];
                long left = length;
                while (left > 0)
                {
                    int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (n == 0)
                    {
                        throw new IOException("the blob ended early while it was sent");
                    }
                    await stream.WriteAsync(buffer, 0, n).ConfigureAwait(false);
                    left -= n;
                    sent(offset + length - left);
                }
            }

            protected override bool TryComputeLength(out long length)
            {
                length = this.length;
                return true;
            }
        }
    }
}
