using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace OsvPS.Core.Remote
{
    /// <summary>The part of a GitHub release (<c>/repos/{owner}/{repo}/releases</c>) OsvPS reads.</summary>
    internal sealed class GitHubRelease
    {
        [JsonPropertyName("tag_name")]
        public string? TagName { get; set; }

        [JsonPropertyName("published_at")]
        public string? PublishedAt { get; set; }

        [JsonPropertyName("assets")]
        public List<GitHubAsset>? Assets { get; set; }
    }

    internal sealed class GitHubAsset
    {
        [JsonPropertyName("name")]
        public string? Name { get; set; }

        [JsonPropertyName("browser_download_url")]
        public string? DownloadUrl { get; set; }

        [JsonPropertyName("size")]
        public long? Size { get; set; }

        /// <summary>GitHub's digest of the asset, <c>sha256:&lt;hex&gt;</c> (releases since 2025 carry it).</summary>
        [JsonPropertyName("digest")]
        public string? Digest { get; set; }
    }
}
