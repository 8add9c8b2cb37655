using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// A repository's tags (<c>GET /v2/&lt;name&gt;/tags/list</c>), page after page as the registry's
    /// <c>Link: &lt;...&gt;; rel="next"</c> headers lead, up to <see cref="MaxPages"/> pages.
    /// </summary>
    public static class RegistryTags
    {
        public const int MaxPages = 100;

        public static IReadOnlyList<string> List(RegistryClient client, CancellationToken cancellation)
        {
            client.Ping(cancellation);
            var tags = new List<string>();
            Uri? next = client.Url("tags/list?n=1000");
            for (int page = 0; next != null && page < MaxPages; page++)
            {
                Uri current = next;
                next = null;
                using (var response = client.Send(() => new HttpRequestMessage(HttpMethod.Get, current), "the tag list", cancellation))
                {
                    if (!response.IsSuccessStatusCode)
                    {
                        throw client.Failure(response, "the tag list of " + client.Reference.Name, ErrorIds.OciManifestNotFound);
                    }
                    if (response.Headers.TryGetValues("Link", out var links))
                    {
                        var match = Regex.Match(string.Join(",", links), "<([^>]+)>\\s*;\\s*rel=\"?next\"?");
                        next = match.Success ? client.Follow(new Uri(current, match.Groups[1].Value), "a next page of the tag list") : null;
                    }
                    byte[] body = RegistryJson.ReadBounded(response, RegistryJson.MaxDocumentBytes, "the tag list of " + client.Reference.Name, cancellation);
                    try
                    {
                        using (var doc = JsonDocument.Parse(body))
                        {
                            if (doc.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                            {
                                tags.AddRange(list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
                            }
                        }
                    }
                    catch (Exception e) when (e is JsonException || e is InvalidOperationException) // InvalidOperationException: a tag that is not UTF-16 text
                    {
                        throw new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidData,
                            $"the tag list of {client.Reference.Name} is not JSON: {e.Message}", client.Reference.ToString(), e);
                    }
                }
            }
            return tags.Distinct(StringComparer.Ordinal).OrderBy(t => t, StringComparer.Ordinal).ToList();
        }
    }
}
