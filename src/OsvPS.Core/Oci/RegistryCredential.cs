using System;
using System.IO;
using System.Text;
using System.Text.Json;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>A user name and password (or token) for one registry.</summary>
    public sealed class RegistryCredential
    {
        public RegistryCredential(string user, string password)
        {
            User = user;
            Password = password;
        }

        public string User { get; }
        public string Password { get; }

        internal string BasicValue => Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));

        /// <summary>Where the credentials came from (for -Verbose; never the secret).</summary>
        public string Source { get; internal set; } = "the caller";

        /// <summary>
        /// The entry for <paramref name="registry"/> in the docker/podman auth files the user already has:
        /// <c>$REGISTRY_AUTH_FILE</c>, <c>$XDG_RUNTIME_DIR/containers/auth.json</c>, then
        /// <c>$DOCKER_CONFIG/config.json</c> (default <c>~/.docker/config.json</c>); an <c>auths</c>
        /// entry's base64 <c>auth</c> (user:password) is used. Credential helpers (<c>credsStore</c>,
        /// <c>credHelpers</c>) are programs OsvPS does not run: pass -Credential for those registries.
        /// </summary>
        public static RegistryCredential? FromAuthFiles(string registry)
        {
            foreach (string file in AuthFiles())
            {
                var found = FromAuthFile(file, registry);
                if (found != null)
                {
                    return found;
                }
            }
            return null;
        }

        private static string[] AuthFiles()
        {
            string? authFile = Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE");
            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            string? dockerConfig = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return new[]
            {
                authFile ?? "",
                string.IsNullOrEmpty(runtime) ? "" : Path.Combine(runtime, "containers", "auth.json"),
                Path.Combine(string.IsNullOrEmpty(dockerConfig) ? Path.Combine(home, ".docker") : dockerConfig!, "config.json"),
            };
        }

        /// <summary>The <c>auths</c> entry of one auth file for <paramref name="registry"/>, or null.</summary>
        public static RegistryCredential? FromAuthFile(string file, string registry)
        {
            if (file.Length == 0 || !File.Exists(file))
            {
                return null;
            }
            byte[] bytes = RegistryJson.ReadFileBounded(file, 1 << 20, ErrorIds.RegistryCredentialsInvalid);
            try
            {
                using (var doc = JsonDocument.Parse(bytes))
                {
                    if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
                    {
                        return null;
                    }
                    foreach (var entry in auths.EnumerateObject())
                    {
                        if (!SameRegistry(entry.Name, registry) || entry.Value.ValueKind != JsonValueKind.Object ||
                            !entry.Value.TryGetProperty("auth", out var auth) || auth.ValueKind != JsonValueKind.String)
                        {
                            continue;
                        }
                        string pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth.GetString() ?? ""));
                        int colon = pair.IndexOf(':');
                        if (colon <= 0)
                        {
                            throw new OsvException(ErrorIds.RegistryCredentialsInvalid, OsvErrorKind.InvalidData,
                                $"the 'auth' of '{entry.Name}' in {file} is not base64 of user:password.", file);
                        }
                        return new RegistryCredential(pair.Substring(0, colon), pair.Substring(colon + 1)) { Source = file };
                    }
                }
            }
            catch (Exception e) when (e is JsonException || e is FormatException || e is InvalidOperationException)
            {
                throw new OsvException(ErrorIds.RegistryCredentialsInvalid, OsvErrorKind.InvalidData, $"{file} is not a readable auth file: {e.Message}", file, e);
            }
            return null;
        }

        // Keys are written as host[:port], with or without https:// and a path; Docker Hub has several names.
        internal static bool SameRegistry(string key, string registry)
        {
            string host = key;
            int scheme = host.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0)
            {
                host = host.Substring(scheme + 3);
            }
            int path = host.IndexOf('/');
            if (path >= 0)
            {
                host = host.Substring(0, path);
            }
            host = host.ToLowerInvariant();
            if (host == "index.docker.io" || host == "registry-1.docker.io")
            {
                host = ImageReference.DockerHub;
            }
            return host == registry.ToLowerInvariant();
        }
    }
}
