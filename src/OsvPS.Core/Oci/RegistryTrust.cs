using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// Decides whether a registry's TLS certificate is trusted: the system's trust, plus the certificate
    /// authorities the caller named and those in the containers/docker <c>certs.d/&lt;host[:port]&gt;/*.crt</c>
    /// folders (as skopeo, podman and docker read them), unless the caller asked to skip the check.
    /// It remembers whether it rejected a certificate, so a TLS failure is told from a plain-HTTP server.
    /// </summary>
    internal sealed class RegistryTrust
    {
        private readonly bool skip;
        private readonly X509Certificate2[] authorities;

        public RegistryTrust(string registry, RegistryOptions options)
        {
            skip = options.SkipCertificateCheck;
            authorities = options.CertificateAuthorities.Concat(CertsDFiles(registry)).SelectMany(Load).ToArray();
        }

        /// <summary>Why the last certificate was rejected; null when none was.</summary>
        public string? Rejected { get; private set; }

        public HttpClientHandler CreateHandler()
        {
            var handler = new HttpClientHandler { AllowAutoRedirect = true, UseCookies = false };
            handler.ServerCertificateCustomValidationCallback = (request, certificate, chain, errors) => Check(certificate, errors);
            return handler;
        }

        private bool Check(X509Certificate2? certificate, SslPolicyErrors errors)
        {
            if (skip || errors == SslPolicyErrors.None)
            {
                return true;
            }
            if (certificate != null && authorities.Length > 0 && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None)
            {
                using (var chain = new X509Chain())
                {
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
                    chain.ChainPolicy.ExtraStore.AddRange(authorities);
                    if (chain.Build(certificate))
                    {
                        var root = chain.ChainElements[chain.ChainElements.Count - 1].Certificate;
                        if (authorities.Any(a => a.Thumbprint == root.Thumbprint) &&
                            chain.ChainStatus.All(s => s.Status == X509ChainStatusFlags.NoError || s.Status == X509ChainStatusFlags.UntrustedRoot))
                        {
                            return true;
                        }
                    }
                }
            }
            Rejected = errors.ToString();
            return false;
        }

        private static IEnumerable<string> CertsDFiles(string registry)
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            foreach (string root in new[] { "/etc/containers/certs.d", "/etc/docker/certs.d", Path.Combine(home, ".config", "containers", "certs.d") })
            {
                string folder = Path.Combine(root, registry);
                if (Directory.Exists(folder))
                {
                    foreach (string file in Directory.GetFiles(folder, "*.crt").OrderBy(f => f, StringComparer.Ordinal))
                    {
                        yield return file;
                    }
                }
            }
        }

        // Every certificate of a PEM (or DER) file.
        private static IEnumerable<X509Certificate2> Load(string path)
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.RegistryCertificateInvalid, OsvErrorKind.ReadError, $"the certificate authority file '{path}' cannot be read: {e.Message}", path, e);
            }
            const string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
            var found = new List<X509Certificate2>();
            int at = 0;
            while ((at = text.IndexOf(begin, at, StringComparison.Ordinal)) >= 0)
            {
                int stop = text.IndexOf(end, at, StringComparison.Ordinal);
                if (stop < 0)
                {
                    break;
                }
                string body = text.Substring(at + begin.Length, stop - at - begin.Length);
                try
                {
                    found.Add(new X509Certificate2(Convert.FromBase64String(string.Concat(body.Where(c => !char.IsWhiteSpace(c))))));
                }
                catch (Exception e) when (e is FormatException || e is System.Security.Cryptography.CryptographicException)
                {
                    throw new OsvException(ErrorIds.RegistryCertificateInvalid, OsvErrorKind.InvalidData, $"'{path}' holds a certificate that cannot be read: {e.Message}", path, e);
                }
                at = stop + end.Length;
            }
            if (found.Count == 0)
            {
                throw new OsvException(ErrorIds.RegistryCertificateInvalid, OsvErrorKind.InvalidData, $"'{path}' holds no PEM certificate.", path);
            }
            return found;
        }
    }
}
