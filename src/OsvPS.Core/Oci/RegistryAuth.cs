using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// Answers a registry's <c>WWW-Authenticate</c> challenge: Basic with the credentials, or Bearer with a
    /// token fetched from the challenge's realm (the distribution spec's token flow, as Docker Hub, GHCR,
    /// Harbor and the distribution registry with token auth use), asking for the repository's pull (and push)
    /// scope. Credentials come from the caller, else from the user's auth files, looked up once.
    /// </summary>
    internal sealed class RegistryAuth
    {
        private readonly ImageReference reference;
        private readonly RegistryOptions options;
        private readonly string actions;
        private readonly Func<Uri, bool> allowed;
        private RegistryCredential? credential;
        private bool looked;

        public RegistryAuth(ImageReference reference, RegistryOptions options, bool push, Func<Uri, bool> allowed)
        {
            this.reference = reference;
            this.options = options;
            this.allowed = allowed;
            actions = push ? "pull,push" : "pull";
        }

        /// <summary>What goes into the Authorization header now (null before any challenge).</summary>
        public AuthenticationHeaderValue? Header { get; private set; }

        public RegistryCredential? Credential
        {
            get
            {
                if (!looked)
                {
                    credential = options.Credential ?? RegistryCredential.FromAuthFiles(reference.Registry);
                    looked = true;
                }
                return credential;
            }
        }

        /// <summary>Takes the challenge of a 401 response; false when it cannot be answered better than what was sent.</summary>
        public bool Answer(HttpResponseMessage unauthorized, HttpClient http, CancellationToken cancellation)
        {
            var challenge = unauthorized.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
                ?? unauthorized.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase));
            if (challenge == null)
            {
                return false;
            }
            if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                if (Credential == null || Header?.Scheme == "Basic")
                {
                    return false;
                }
                Header = new AuthenticationHeaderValue("Basic", Credential.BasicValue);
                return true;
            }
            var parameters = Parameters(challenge.Parameter ?? "");
            if (!parameters.TryGetValue("realm", out string? realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            {
                return false;
            }
            RegistryClient.RequireHttp(realmUri, reference, "a token service (realm)");
            if (!allowed(realmUri))
            {
                throw new OsvException(ErrorIds.RegistryHttpRefused, OsvErrorKind.SecurityError,
                    $"{reference.Registry} sends for a token to {realmUri.GetLeftPart(UriPartial.Path)} over plain HTTP; credentials go there only with -AllowHttp.", reference.ToString());
            }
            string previous = Header?.Parameter ?? "";
            Header = new AuthenticationHeaderValue("Bearer", FetchToken(http, realmUri, parameters, cancellation));
            return Header.Parameter != previous;
        }

        private string FetchToken(HttpClient http, Uri realm, Dictionary<string, string> parameters, CancellationToken cancellation)
        {
            var query = new List<string>();
            if (parameters.TryGetValue("service", out string? service))
            {
                query.Add("service=" + Uri.EscapeDataString(service));
            }
            var scopes = new List<string> { $"repository:{reference.Repository}:{actions}" };
            if (parameters.TryGetValue("scope", out string? asked))
            {
                scopes.AddRange(asked.Split(' ').Where(s => s.Length > 0 && !scopes.Contains(s)));
            }
            query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
            var builder = new UriBuilder(realm) { Query = string.Join("&", new[] { realm.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query)) };
            using (var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri))
            {
                if (Credential != null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Credential.BasicValue);
                }
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                {
                    timeout.CancelAfter(TimeSpan.FromSeconds(60));
                    HttpResponseMessage response;
                    try
                    {
                        response = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).GetAwaiter().GetResult();
                    }
                    catch (Exception e) when ((e is HttpRequestException || e is OperationCanceledException) && !cancellation.IsCancellationRequested)
                    {
                        throw new OsvException(ErrorIds.RegistryUnreachable, OsvErrorKind.ConnectionError,
                            $"the token service {realm.GetLeftPart(UriPartial.Path)} of {reference.Registry} did not answer: {e.Message}", reference.ToString(), e);
                    }
                    using (response)
                    {
                        if (response.StatusCode == HttpStatusCode.Unauthorized || response.StatusCode == HttpStatusCode.Forbidden)
                        {
                            throw Unauthorized(reference, Credential, "its token service refused");
                        }
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidResult,
                                $"the token service of {reference.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase}.", reference.ToString());
                        }
                        byte[] body = RegistryJson.ReadBounded(response, 1 << 20, $"the token of {reference.Registry}", cancellation);
                        try
                        {
                            using (var doc = JsonDocument.Parse(body))
                            {
                                foreach (string name in new[] { "token", "access_token" })
                                {
                                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var token) &&
                                        token.ValueKind == JsonValueKind.String && token.GetString()!.Length > 0)
                                    {
                                        return token.GetString()!;
                                    }
                                }
                            }
                        }
                        catch (Exception e) when (e is JsonException || e is InvalidOperationException)
                        {
                        }
                        throw new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidData,
                            $"the token service of {reference.Registry} sent no token.", reference.ToString());
                    }
                }
            }
        }

        public static OsvException Unauthorized(ImageReference reference, RegistryCredential? credential, string what)
            => new OsvException(ErrorIds.RegistryUnauthorized, OsvErrorKind.PermissionDenied,
                credential == null
                    ? $"{reference.Registry} wants credentials ({what}) and none were given: pass -Credential, or log in with 'docker login' or 'skopeo login' first."
                    : $"{reference.Registry} refused the credentials of '{credential.User}' from {credential.Source} ({what}).",
                reference.ToString());

        // key="value", key=value, ... as RFC 7235 auth-params.
        internal static Dictionary<string, string> Parameters(string text)
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            int i = 0;
            while (i < text.Length)
            {
                while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
                {
                    i++;
                }
                int eq = text.IndexOf('=', i);
                if (eq < 0)
                {
                    break;
                }
                string key = text.Substring(i, eq - i).Trim();
                i = eq + 1;
                var value = new StringBuilder();
                if (i < text.Length && text[i] == '"')
                {
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }
                        value.Append(text[i]);
                    }
                    i++;
                }
                else
                {
                    for (; i < text.Length && text[i] != ','; i++)
                    {
                        value.Append(text[i]);
                    }
                }
                result[key] = value.ToString().Trim();
            }
            return result;
        }
    }
}
