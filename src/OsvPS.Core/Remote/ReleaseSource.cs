using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using OsvPS.Core.Errors;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Remote
{
    /// <summary>One downloadable file of a release.</summary>
    internal sealed class ReleaseAsset
    {
        public ReleaseAsset(string name, string url, long? size, string? sha256 = null)
        {
            Name = name;
            Url = url;
            Size = size;
            Sha256 = sha256;
        }

        public string Name { get; }
        public string Url { get; }
        public long? Size { get; }
        /// <summary>The SHA-256 (lower-case hex) the release publishes for the asset, or null when it gives none.</summary>
        public string? Sha256 { get; }

        public override string ToString() => Name;
    }

    public sealed class Release
    {
        internal Release(string tag, DateTime? published, IReadOnlyList<ReleaseAsset> assets)
        {
            Tag = tag;
            Published = published;
            Assets = assets;
        }

        public string Tag { get; }
        public DateTime? Published { get; }
        internal IReadOnlyList<ReleaseAsset> Assets { get; }

        public override string ToString() => Tag;
    }

    /// <summary>
    /// Where loaders and packages come from: the GitHub releases API of OSv by default, or any server
    /// answering the same JSON (<c>tag_name</c>, <c>assets[].name</c>, <c>assets[].browser_download_url</c>).
    /// <c>&lt;source&gt;</c> lists releases, <c>&lt;source&gt;/latest</c> and <c>&lt;source&gt;/tags/&lt;tag&gt;</c> give one.
    /// </summary>
    public sealed class ReleaseSource : IDisposable
    {
        public const string DefaultSource = "https://api.github.com/repos/cloudius-systems/osv/releases";

        /// <summary>The most a release listing or release may take: GitHub's page of 30 releases is well under 1 MiB.</summary>
        public const int MaxJsonBytes = 8 << 20;

        /// <summary>How long fetching release metadata may take, headers and body together.</summary>
        public TimeSpan JsonDeadline { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>The slowest a download from this source may be (bytes per second), averaged over <see cref="RateWindow"/>: a body that drips ends.</summary>
        public long MinimumRate { get; set; } = 1024;

        public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(60);

        private const int MaxRedirects = 10;

        private readonly HttpClient http;

        /// <summary>A source at <paramref name="url"/>, which must be an http or https address (SourceSchemeNotSupported otherwise).</summary>
        public ReleaseSource(string url, HttpMessageHandler? handler = null)
        {
            Url = url.TrimEnd('/');
            RequireHttp(Url, null);
            // Redirects are followed here, one by one, so that each is checked (http and https only).
            http = new HttpClient(handler ?? new HttpClientHandler { AllowAutoRedirect = false });
            http.Timeout = TimeSpan.FromMinutes(30);
            http.DefaultRequestHeaders.UserAgent.ParseAdd("OsvPS/0.1");
            http.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.github+json");
        }

        public string Url { get; }

        internal HttpClient Http => http;

        /// <summary>The source to use: <paramref name="explicitSource"/>, <c>$OSVPS_RELEASE_SOURCE</c>, config.yaml's <c>repo_url</c>, else OSv's.</summary>
        public static string Choose(string? explicitSource, CapstanRepository repository)
        {
            if (!string.IsNullOrEmpty(explicitSource))
            {
                return explicitSource!;
            }
            string? env = Environment.GetEnvironmentVariable("OSVPS_RELEASE_SOURCE");
            if (!string.IsNullOrEmpty(env))
            {
                return env!;
            }
            string? configured = RepositoryConfig.Load(repository).RepoUrl;
            // Capstan's repo_url named an S3 bucket of old; only a releases API address is usable here.
            return configured != null && configured.Contains("/releases") ? configured : DefaultSource;
        }

        /// <summary>The release <paramref name="version"/> (a tag), or the latest for null/"latest".</summary>
        public Release GetRelease(string? version, CancellationToken cancellation)
        {
            bool latest = string.IsNullOrEmpty(version) || version == "latest";
            string url = latest ? Url + "/latest" : Url + "/tags/" + Uri.EscapeDataString(version!);
            var release = GetJson<GitHubRelease>(url, latest ? "the latest release" : $"release '{version}'", cancellation);
            return ToRelease(release ?? throw Malformed(url, "expected a JSON object"), url);
        }

        /// <summary>The releases <paramref name="version"/> selects: every one for "*", else the one tag (or the latest).</summary>
        public IReadOnlyList<Release> Select(string? version, CancellationToken cancellation)
            => version == "*" ? GetReleases(cancellation) : new[] { GetRelease(version, cancellation) };

        public IReadOnlyList<Release> GetReleases(CancellationToken cancellation)
        {
            var list = GetJson<List<GitHubRelease?>>(Url, "the release list", cancellation) ?? throw Malformed(Url, "expected a JSON array of releases");
            return list.Select(r => ToRelease(r ?? throw Malformed(Url, "a release is not a JSON object"), Url)).ToList();
        }

        private T? GetJson<T>(string url, string what, CancellationToken cancellation) where T : class
        {
            // Release metadata is small: a source that has not answered it all within the deadline is
            // treated as unreachable (a body that drips forever ends there), and a body past the cap is refused.
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                timeout.CancelAfter(JsonDeadline);
                string text;
                try
                {
                    using (var response = Send(new HttpRequestMessage(HttpMethod.Get, url), what, timeout.Token))
                    {
                        text = ReadCapped(response, url, what, timeout.Token);
                    }
                }
                catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
                {
                    throw new OsvException(ErrorIds.ReleaseSourceUnreachable, OsvErrorKind.OperationTimeout,
                        $"{url} did not answer {what} within {JsonDeadline.TotalSeconds:0} s.", url, e);
                }
                try
                {
                    return JsonSerializer.Deserialize<T>(text, IO.JsonLimits.Options);
                }
                catch (JsonException e)
                {
                    throw Malformed(url, e.Message);
                }
            }
        }

        // The body as text, streamed, refused once it passes MaxJsonBytes (whatever Content-Length says).
        private static string ReadCapped(HttpResponseMessage response, string url, string what, CancellationToken cancellation)
        {
            long? declared = response.Content.Headers.ContentLength;
            if (declared > MaxJsonBytes)
            {
                throw TooLarge(url, what, declared.Value);
            }
            var body = new MemoryStream();
            try
            {
                using (var stream = response.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
                {
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = stream.ReadAsync(buffer, 0, buffer.Length, cancellation).GetAwaiter().GetResult()) > 0)
                    {
                        if (body.Length + n > MaxJsonBytes)
                        {
                            throw TooLarge(url, what, null);
                        }
                        body.Write(buffer, 0, n);
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is HttpRequestException)
            {
                throw new OsvException(ErrorIds.ReleaseSourceUnreachable, OsvErrorKind.ConnectionError, $"{url} broke off while sending {what}: {e.Message}", url, e);
            }
            return new System.Text.UTF8Encoding(false).GetString(body.GetBuffer(), 0, (int)body.Length);
        }

        private static OsvException TooLarge(string url, string what, long? declared)
            => new OsvException(ErrorIds.ReleaseSourceInvalid, OsvErrorKind.LimitsExceeded,
                $"{url} answered {what} with {(declared.HasValue ? declared.Value + " bytes" : "more")} than the {MaxJsonBytes >> 20} MiB release metadata may take; it was not read.", url);

        /// <summary>
        /// Refuses an address that is not absolute http(s) (a <c>-Source</c>, or where a redirect of
        /// <paramref name="from"/> leads) with SourceSchemeNotSupported, and a redirect from https to http.
        /// </summary>
        internal static Uri RequireHttp(string url, Uri? from)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            {
                throw new OsvException(ErrorIds.SourceSchemeNotSupported, OsvErrorKind.InvalidArgument,
                    from == null
                        ? $"'{url}' is not an http or https address; a release source is a releases API on the web (for a file on this machine, use Import-OsvImage)."
                        : $"{from} redirected to '{url}', which is not an http or https address; OsvPS follows redirects to http(s) only.", url);
            }
            if (from != null && from.Scheme == Uri.UriSchemeHttps && uri.Scheme == Uri.UriSchemeHttp)
            {
                throw new OsvException(ErrorIds.SourceSchemeNotSupported, OsvErrorKind.SecurityError,
                    $"{from} redirected from https to plain http ({url}); OsvPS does not follow that.", url);
            }
            return uri;
        }

        /// <summary>The address of <paramref name="asset"/>, which must be http(s) like every address OsvPS downloads from.</summary>
        internal static Uri AssetAddress(ReleaseAsset asset)
            => Uri.TryCreate(asset.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri
                : throw new OsvException(ErrorIds.SourceSchemeNotSupported, OsvErrorKind.InvalidData,
                    $"the release gives '{asset.Url}' as the address of '{asset.Name}'; OsvPS downloads from http and https addresses only.", asset.Url);

        /// <summary>Sends a request, following up to ten redirects (each checked), and turns HTTP failures into clear errors.</summary>
        internal HttpResponseMessage Send(HttpRequestMessage request, string what, CancellationToken cancellation)
        {
            for (int hop = 0; ; hop++)
            {
                var response = SendOnce(request, what, cancellation);
                int status = (int)response.StatusCode;
                if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308) || response.Headers.Location == null)
                {
                    return Checked(response, request, what);
                }
                using (response)
                {
                    var from = request.RequestUri!;
                    if (hop >= MaxRedirects)
                    {
                        throw new OsvException(ErrorIds.DownloadFailed, OsvErrorKind.ConnectionError, $"{from} redirected more than {MaxRedirects} times for {what}.", from.ToString());
                    }
                    var location = response.Headers.Location;
                    var next = RequireHttp((location.IsAbsoluteUri ? location : new Uri(from, location)).ToString(), from);
                    var again = new HttpRequestMessage(status == 303 ? HttpMethod.Get : request.Method, next);
                    foreach (var header in request.Headers)
                    {
                        again.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }
                    request = again;
                }
            }
        }

        private HttpResponseMessage SendOnce(HttpRequestMessage request, string what, CancellationToken cancellation)
        {
            HttpResponseMessage response;
            try
            {
                response = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation).GetAwaiter().GetResult();
            }
            catch (HttpRequestException e)
            {
                throw new OsvException(ErrorIds.ReleaseSourceUnreachable, OsvErrorKind.ConnectionError,
                    $"cannot reach {request.RequestUri?.GetLeftPart(UriPartial.Authority)} for {what}: {e.InnerException?.Message ?? e.Message}. Check the network or the proxy (HTTPS_PROXY), or import the file with Import-OsvImage.", request.RequestUri?.ToString(), e);
            }
            catch (TaskCanceledException e) when (!cancellation.IsCancellationRequested)
            {
                throw new OsvException(ErrorIds.ReleaseSourceUnreachable, OsvErrorKind.OperationTimeout, $"{request.RequestUri} did not answer in time for {what}.", request.RequestUri?.ToString(), e);
            }
            return response;
        }

        private static HttpResponseMessage Checked(HttpResponseMessage response, HttpRequestMessage request, string what)
        {
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            using (response)
            {
                int status = (int)response.StatusCode;
                string uri = request.RequestUri?.ToString() ?? "";
                if ((status == 403 || status == 429) && Header(response, "X-RateLimit-Remaining") == "0")
                {
                    string? reset = Header(response, "X-RateLimit-Reset");
                    string when = reset != null && long.TryParse(reset, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seconds)
                        ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
                        : "later";
                    throw new OsvException(ErrorIds.RateLimited, OsvErrorKind.LimitsExceeded,
                        $"the release source refused {what}: its rate limit is used up until {when}. Try again then.", uri);
                }
                if (status == 404)
                {
                    throw new OsvException(ErrorIds.ReleaseNotFound, OsvErrorKind.ObjectNotFound, $"{what} was not found at {uri} (404).", uri);
                }
                throw new OsvException(ErrorIds.DownloadFailed, OsvErrorKind.ConnectionError, $"{uri} answered {status} {response.ReasonPhrase} for {what}.", uri);
            }
        }

        private static string? Header(HttpResponseMessage response, string name)
            => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

        private static OsvException Malformed(string url, string why)
            => new OsvException(ErrorIds.ReleaseSourceInvalid, OsvErrorKind.InvalidData, $"{url} did not answer with a release in GitHub's JSON shape: {why}.", url);

        private static Release ToRelease(GitHubRelease json, string url)
        {
            string tag = json.TagName ?? throw Malformed(url, "no 'tag_name'");
            DateTime? published = json.PublishedAt != null &&
                DateTime.TryParse(json.PublishedAt, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var when) ? when : (DateTime?)null;
            var assets = (json.Assets ?? new List<GitHubAsset>())
                .Where(a => a != null && a.Name != null && a.DownloadUrl != null)
                .Select(a => new ReleaseAsset(a.Name!, a.DownloadUrl!, a.Size, Sha256Of(a, url)))
                .ToList();
            return new Release(tag, published, assets);
        }

        // A published digest as hex: sha256 is checked; another algorithm is not one OsvPS can check, and is left out.
        private static string? Sha256Of(GitHubAsset asset, string url)
        {
            string? digest = asset.Digest;
            if (digest == null || !digest.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            string hex = digest.Substring(7).ToLowerInvariant();
            return hex.Length == 64 && hex.All(c => c >= '0' && c <= '9' || c >= 'a' && c <= 'f') ? hex
                : throw Malformed(url, $"the digest of '{asset.Name}' is not sha256:<64 hex digits>");
        }

        public void Dispose() => http.Dispose();
    }
}
