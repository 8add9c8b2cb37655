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
    public sealed class ReleaseAsset
    {
        public ReleaseAsset(string name, string url, long? size)
        {
            Name = name;
            Url = url;
            Size = size;
        }

        public string Name { get; }
        public string Url { get; }
        public long? Size { get; }

        public override string ToString() => Name;
    }

    public sealed class Release
    {
        public Release(string tag, DateTime? published, IReadOnlyList<ReleaseAsset> assets)
        {
            Tag = tag;
            Published = published;
            Assets = assets;
        }

        public string Tag { get; }
        public DateTime? Published { get; }
        public IReadOnlyList<ReleaseAsset> Assets { get; }

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

        private readonly HttpClient http;

        public ReleaseSource(string url, HttpMessageHandler? handler = null)
        {
            Url = url.TrimEnd('/');
            http = handler == null ? new HttpClient() : new HttpClient(handler);
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
            // Release metadata is small: a source that does not answer within a minute is treated as unreachable.
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            using (var response = SendWithTimeout(url, what, timeout, cancellation))
            {
                string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                try
                {
                    return JsonSerializer.Deserialize<T>(text, Qemu.JsonLimits.Options);
                }
                catch (JsonException e)
                {
                    throw Malformed(url, e.Message);
                }
            }
        }

        private HttpResponseMessage SendWithTimeout(string url, string what, CancellationTokenSource timeout, CancellationToken cancellation)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                return Send(new HttpRequestMessage(HttpMethod.Get, url), what, timeout.Token);
            }
            catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
            {
                throw new OsvException("ReleaseSourceUnreachable", OsvErrorKind.OperationTimeout, $"{url} did not answer within a minute for {what}.", url, e);
            }
        }

        /// <summary>Sends a request and turns HTTP failures into clear errors.</summary>
        internal HttpResponseMessage Send(HttpRequestMessage request, string what, CancellationToken cancellation)
        {
            HttpResponseMessage response;
            try
            {
                response = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation).GetAwaiter().GetResult();
            }
            catch (HttpRequestException e)
            {
                throw new OsvException("ReleaseSourceUnreachable", OsvErrorKind.ConnectionError,
                    $"cannot reach {request.RequestUri?.GetLeftPart(UriPartial.Authority)} for {what}: {e.InnerException?.Message ?? e.Message}. Check the network or the proxy (HTTPS_PROXY), or import the file with Import-OsvImage.", request.RequestUri?.ToString(), e);
            }
            catch (TaskCanceledException e) when (!cancellation.IsCancellationRequested)
            {
                throw new OsvException("ReleaseSourceUnreachable", OsvErrorKind.OperationTimeout, $"{request.RequestUri} did not answer in time for {what}.", request.RequestUri?.ToString(), e);
            }
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
                    throw new OsvException("RateLimited", OsvErrorKind.LimitsExceeded,
                        $"the release source refused {what}: its rate limit is used up until {when}. Try again then.", uri);
                }
                if (status == 404)
                {
                    throw new OsvException("ReleaseNotFound", OsvErrorKind.ObjectNotFound, $"{what} was not found at {uri} (404).", uri);
                }
                throw new OsvException("DownloadFailed", OsvErrorKind.ConnectionError, $"{uri} answered {status} {response.ReasonPhrase} for {what}.", uri);
            }
        }

        private static string? Header(HttpResponseMessage response, string name)
            => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

        private static OsvException Malformed(string url, string why)
            => new OsvException("ReleaseSourceInvalid", OsvErrorKind.InvalidData, $"{url} did not answer with a release in GitHub's JSON shape: {why}.", url);

        private static Release ToRelease(GitHubRelease json, string url)
        {
            string tag = json.TagName ?? throw Malformed(url, "no 'tag_name'");
            DateTime? published = json.PublishedAt != null &&
                DateTime.TryParse(json.PublishedAt, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var when) ? when : (DateTime?)null;
            var assets = (json.Assets ?? new List<GitHubAsset>())
                .Where(a => a != null && a.Name != null && a.DownloadUrl != null)
                .Select(a => new ReleaseAsset(a.Name!, a.DownloadUrl!, a.Size))
                .ToList();
            return new Release(tag, published, assets);
        }

        public void Dispose() => http.Dispose();
    }
}
