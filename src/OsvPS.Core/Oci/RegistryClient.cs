using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// The HTTP side of the distribution spec for one repository: the <c>/v2/</c> ping that picks HTTPS (or
    /// plain HTTP for a loopback registry, or when allowed, when the server does not speak TLS) and learns the
    /// auth scheme, then requests with the Authorization they need. Registry failures become OsvExceptions
    /// with the registry's own error codes in the message.
    /// </summary>
    public sealed class RegistryClient : IDisposable
    {
        private readonly HttpClient http;
        private readonly RegistryTrust trust;
        private readonly RegistryAuth auth;
        private Uri? root;

        public RegistryClient(ImageReference reference, RegistryOptions options, bool push)
        {
            Reference = reference;
            Options = options;
            trust = new RegistryTrust(reference.Registry, options);
            http = new HttpClient(trust.CreateHandler()) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("OsvPS/0.1");
            auth = new RegistryAuth(reference, options, push, AllowsPlainHttp);
        }

        public ImageReference Reference { get; }
        public RegistryOptions Options { get; }

        // Plain HTTP (for the registry, and for credentials sent to its token service) only on this machine or when allowed.
        private bool AllowsPlainHttp(Uri uri)
            => uri.Scheme == Uri.UriSchemeHttps || Options.AllowHttp ||
               uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));


        /// <summary>The scheme and host requests go to, once the ping chose them.</summary>
        public Uri Root => root ?? throw new InvalidOperationException("the registry was not pinged");

        /// <summary><c>/v2/&lt;repository&gt;/&lt;path&gt;</c> at the registry.</summary>
        public Uri Url(string path) => new Uri(Root, "/v2/" + Reference.Repository + "/" + path);

        /// <summary>A <c>Location</c> header, relative or absolute, against the request it answered.</summary>
        public Uri Resolve(HttpResponseMessage response)
        {
            var location = response.Headers.Location ?? throw new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidResult,
                $"{Reference.Registry} answered {(int)response.StatusCode} without the Location the upload goes on at.", Reference.ToString());
            return Follow(location.IsAbsoluteUri ? location : new Uri(response.RequestMessage?.RequestUri ?? Root, location), "an upload Location");
        }

        /// <summary>
        /// An address the registry sent (an upload Location, a next page) checked before it is followed: http or https
        /// only, and plain http only where plain HTTP is allowed. Credentials go with it only when it is on the registry
        /// itself (<see cref="IsRegistry"/>).
        /// </summary>
        public Uri Follow(Uri address, string what)
        {
            RequireHttp(address, Reference, what);
            if (!AllowsPlainHttp(address))
            {
                throw new OsvException(ErrorIds.RegistryHttpRefused, OsvErrorKind.SecurityError,
                    $"{Reference.Registry} sent {what} over plain HTTP ({address.GetLeftPart(UriPartial.Authority)}); OsvPS goes there only with -AllowHttp.", Reference.ToString());
            }
            return address;
        }

        /// <summary>An address a registry sent (<paramref name="what"/>) must be http or https: no file:, ftp: or other scheme is followed.</summary>
        internal static void RequireHttp(Uri address, ImageReference reference, string what)
        {
            if (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp)
            {
                throw new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidResult,
                    $"{reference.Registry} sent {what} that is not an http or https address ({address.Scheme}:); OsvPS follows none and sends nothing there.", reference.ToString());
            }
        }

        /// <summary>
        /// True for an address on the registry itself: the scheme, host and port its <c>/v2/</c> answered on. The
        /// Authorization goes to no other (an upload Location or a next page on another host gets none).
        /// </summary>
        public bool IsRegistry(Uri address)
        {
            return root != null && address.IsAbsoluteUri &&
                string.Equals(address.Scheme, root.Scheme, StringComparison.OrdinalIgnoreCase) &&
                string.Equals(address.IdnHost, root.IdnHost, StringComparison.OrdinalIgnoreCase) &&
                address.Port == root.Port;
        }

        /// <summary>GET /v2/: chooses HTTPS or plain HTTP and answers the auth challenge.</summary>
        public void Ping(CancellationToken cancellation)
        {
            if (root != null)
            {
                return;
            }
            var https = new Uri("https://" + Reference.Endpoint + "/");
            HttpResponseMessage response;
            try
            {
                response = Exchange(() => new HttpRequestMessage(HttpMethod.Get, new Uri(https, "/v2/")), "the registry's /v2/", Options.Limits.AnswerTimeout, cancellation);
                root = https;
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.RegistryUnreachable && trust.Rejected == null && e.InnerException is HttpRequestException)
            {
                if (!Reference.IsLoopback && !Options.AllowHttp)
                {
                    throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                        $"{Reference.Registry} did not answer over HTTPS ({e.InnerException.Message}); a registry that speaks plain HTTP is used only on this machine or with -AllowHttp.",
                        Reference.ToString(), e.InnerException);
                }
                var plain = new Uri("http://" + Reference.Endpoint + "/");
                response = Exchange(() => new HttpRequestMessage(HttpMethod.Get, new Uri(plain, "/v2/")), "the registry's /v2/", Options.Limits.AnswerTimeout, cancellation);
                root = plain;
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    if (!auth.Answer(response, http, cancellation))
                    {
                        throw RegistryAuth.Unauthorized(Reference, auth.Credential, "/v2/");
                    }
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw Failure(response, "the registry's /v2/ (is this an OCI registry?)", null);
                }
            }
        }

        /// <summary>
        /// Sends a request made by <paramref name="make"/> with the current Authorization; after a 401 it answers
        /// the new challenge and sends it once more (a request whose body cannot be made again is not resent).
        /// Without <paramref name="bodySent"/> the answer must come within the limits' AnswerTimeout; with it (a
        /// request with a large body: the bytes of it sent so far, of <paramref name="bodyLength"/>), the body must
        /// keep above the transfer floor and the answer come within AnswerTimeout once all of it is sent.
        /// </summary>
        public HttpResponseMessage Send(Func<HttpRequestMessage> make, string what, CancellationToken cancellation, TimeSpan? timeout = null, bool resendable = true, Action? tick = null,
            Func<long>? bodySent = null, long bodyLength = 0)
        {
            Ping(cancellation);
            var response = Exchange(make, what, timeout ?? Options.Limits.AnswerTimeout, cancellation, tick, bodySent, bodyLength);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }
            if (response.RequestMessage?.RequestUri is Uri asked && !IsRegistry(asked))
            {
                // A challenge from another host (an upload Location, a next page, a redirect) is not answered with the
                // registry's credentials: that host would get them, or a token for them.
                response.Dispose();
                throw new OsvException(ErrorIds.RegistryUnauthorized, OsvErrorKind.SecurityError,
                    $"{asked.GetLeftPart(UriPartial.Authority)}, where {Reference.Registry} sent {what}, asks for credentials; OsvPS gives the registry's credentials to the registry alone.", Reference.ToString());
            }
            bool answered;
            using (response)
            {
                answered = auth.Answer(response, http, cancellation);
            }
            if (!answered)
            {
                throw RegistryAuth.Unauthorized(Reference, auth.Credential, what);
            }
            if (!resendable)
            {
                // A token that expired during an upload: the new one is in place, and the uploader's
                // retry sends the body again (a body is not sent twice from here).
                throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                    $"{Reference.Registry} asked for new credentials during {what}.", Reference.ToString());
            }
            response = Exchange(make, what, timeout ?? Options.Limits.AnswerTimeout, cancellation, tick, bodySent, bodyLength);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Dispose();
                throw RegistryAuth.Unauthorized(Reference, auth.Credential, what);
            }
            return response;
        }

        // The request runs on the pool; this (the caller's) thread waits and calls tick a few times a second,
        // so progress is reported on the caller's thread, as the core's IProgress contract says.
        private HttpResponseMessage Exchange(Func<HttpRequestMessage> make, string what, TimeSpan timeout, CancellationToken cancellation, Action? tick = null,
            Func<long>? bodySent = null, long bodyLength = 0)
        {
            string? shortfall = null;
            var floor = bodySent != null ? new TransferFloor(Options.Limits) : null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            TimeSpan? bodyDone = null;
            var request = make();
            if (auth.Header != null && request.RequestUri != null && IsRegistry(request.RequestUri))
            {
                request.Headers.Authorization = auth.Header;
            }
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                if (timeout != System.Threading.Timeout.InfiniteTimeSpan)
                {
                    limit.CancelAfter(timeout);
                }
                try
                {
                    var task = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
                    while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(200))
                    {
                        tick?.Invoke();
                        if (floor != null && shortfall == null)
                        {
                            long sent = bodySent!();
                            floor.Moved(sent);
                            if (sent >= bodyLength)
                            {
                                bodyDone ??= clock.Elapsed;
                                if (clock.Elapsed - bodyDone >= Options.Limits.AnswerTimeout)
                                {
                                    shortfall = $"all {bodyLength} bytes were sent and no answer came in {Options.Limits.AnswerTimeout.TotalSeconds:0} s";
                                }
                            }
                            else
                            {
                                shortfall = floor.Shortfall();
                            }
                            if (shortfall != null)
                            {
                                limit.Cancel();
                            }
                        }
                    }
                    tick?.Invoke();
                    return task.GetAwaiter().GetResult();
                }
                catch (HttpRequestException e) when (trust.Rejected != null)
                {
                    throw new OsvException(ErrorIds.RegistryCertificateInvalid, OsvErrorKind.SecurityError,
                        $"the TLS certificate of {Reference.Registry} is not trusted ({trust.Rejected}): trust its authority with -CertificateAuthority or in /etc/containers/certs.d/{Reference.Registry}/ca.crt, or pass -SkipCertificateCheck.",
                        Reference.ToString(), e);
                }
                catch (Exception e) when ((e is HttpRequestException || e is OperationCanceledException || e is System.IO.IOException) && !cancellation.IsCancellationRequested)
                {
                    string why = shortfall ?? (e is OperationCanceledException ? $"no answer in {timeout.TotalSeconds:0} s" : Innermost(e));
                    throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                        $"{Reference.Registry} did not answer {request.Method} for {what}: {why}", Reference.ToString(), e);
                }
            }
        }

        internal static string Innermost(Exception e)
        {
            var parts = new System.Collections.Generic.List<string>();
            for (var x = e; x != null; x = x.InnerException)
            {
                parts.Add(x.Message);
            }
            return string.Join(": ", parts.Distinct());
        }

        /// <summary>An error for a response that is not what <paramref name="what"/> needed, with the registry's error codes.</summary>
        public OsvException Failure(HttpResponseMessage response, string what, ErrorId? notFoundId)
        {
            string detail = "";
            try
            {
                byte[] body = RegistryJson.ReadBounded(response, 64 << 10, "an error", CancellationToken.None);
                using (var doc = JsonDocument.Parse(body))
                {
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                    {
                        detail = string.Join("; ", errors.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object).Select(x =>
                            (x.TryGetProperty("code", out var c) ? c.ToString() : "") + (x.TryGetProperty("message", out var m) ? " " + m.ToString() : "")));
                    }
                }
            }
            catch (Exception e) when (e is JsonException || e is OsvException || e is HttpRequestException || e is System.IO.IOException)
            {
            }
            string message = $"{Reference.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}" + (detail.Length > 0 ? $" ({detail})." : ".");
            switch (response.StatusCode)
            {
                case HttpStatusCode.NotFound when notFoundId != null:
                    return new OsvException(notFoundId.Value, OsvErrorKind.ObjectNotFound, message, Reference.ToString());
                case HttpStatusCode.Forbidden:
                    return new OsvException(ErrorIds.RegistryDenied, OsvErrorKind.PermissionDenied, message, Reference.ToString());
                case HttpStatusCode.Unauthorized:
                    return RegistryAuth.Unauthorized(Reference, auth.Credential, what);
                default:
                    return new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidResult, message, Reference.ToString());
            }
        }

        /// <summary>A JSON document (manifest, config, tag list) with a cap, as bytes, and its Content-Type.</summary>
        public (byte[] Body, string MediaType, string? Digest) GetDocument(Func<HttpRequestMessage> make, string what, ErrorId? notFoundId, CancellationToken cancellation)
        {
            using (var response = Send(make, what, cancellation))
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw Failure(response, what, notFoundId);
                }
                byte[] body;
                try
                {
                    body = RegistryJson.ReadBounded(response, RegistryJson.MaxDocumentBytes, what, cancellation);
                }
                catch (Exception e) when ((e is System.IO.IOException || e is HttpRequestException) && !cancellation.IsCancellationRequested)
                {
                    throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                        $"{Reference.Registry} broke off while sending {what}: {Innermost(e)}", Reference.ToString(), e);
                }
                string? digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
                return (body, OciMediaTypes.Bare(response.Content.Headers.ContentType?.ToString()), digest);
            }
        }

        public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

        public void Dispose() => http.Dispose();
    }
}
