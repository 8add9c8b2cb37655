using System;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// A container image reference, <c>registry[:port]/repository[:tag][@sha256:hex]</c>, read with the
    /// distribution project's reference grammar: the first segment is a registry when it has a '.', a ':'
    /// or is <c>localhost</c>; otherwise the registry is Docker Hub (and a one-segment name is under
    /// <c>library/</c>), as docker, podman and skopeo read it.
    /// </summary>
    public sealed class ImageReference
    {
        public const string DockerHub = "docker.io";
        private static readonly Regex Component = new Regex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant);
        private static readonly Regex TagPattern = new Regex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant);
        private static readonly Regex DigestPattern = new Regex("^sha256:[a-f0-9]{64}$", RegexOptions.CultureInvariant);
        private static readonly Regex HostPattern = new Regex(
            @"^(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$",
            RegexOptions.CultureInvariant);

        private ImageReference(string registry, string repository, string? tag, string? digest)
        {
            Registry = registry;
            Repository = repository;
            Tag = tag;
            Digest = digest;
        }

        /// <summary>The registry as written (<c>host[:port]</c>); <c>docker.io</c> for Docker Hub.</summary>
        public string Registry { get; }

        /// <summary>The repository path in the registry, e.g. <c>team/demo</c>.</summary>
        public string Repository { get; }

        public string? Tag { get; }

        /// <summary>The manifest digest (<c>sha256:...</c>) when the reference pins one.</summary>
        public string? Digest { get; }

        /// <summary>The host the HTTP API answers on (Docker Hub's API is not at docker.io itself).</summary>
        public string Endpoint => Registry == DockerHub ? "registry-1.docker.io" : Registry;

        /// <summary>What names the manifest in <c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: the digest, else the tag, else latest.</summary>
        public string ManifestReference => Digest ?? Tag ?? "latest";

        /// <summary>A registry on this machine (localhost, 127.0.0.0/8, ::1): plain HTTP is allowed there.</summary>
        public bool IsLoopback
        {
            get
            {
                string host = HostOf(Registry);
                return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
                    (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
            }
        }

        /// <summary>The same repository and tag, pinned to <paramref name="digest"/>.</summary>
        public ImageReference WithDigest(string digest) => new ImageReference(Registry, Repository, Tag, digest);

        /// <summary>The same repository with another tag and no digest.</summary>
        public ImageReference WithTag(string tag) => new ImageReference(Registry, Repository, tag, null);

        /// <summary>The repository alone, <c>registry/repository</c>.</summary>
        public string Name => Registry + "/" + Repository;

        public override string ToString() => Name + (Tag == null ? "" : ":" + Tag) + (Digest == null ? "" : "@" + Digest);

        internal static string HostOf(string registry)
        {
            if (registry.StartsWith("[", StringComparison.Ordinal))
            {
                return registry.Substring(1, registry.IndexOf(']') - 1);
            }
            int colon = registry.LastIndexOf(':');
            return colon < 0 ? registry : registry.Substring(0, colon);
        }

        /// <summary>Reads <paramref name="text"/> (a leading <c>docker://</c> is allowed, as skopeo writes it).</summary>
        public static ImageReference Parse(string text)
        {
            string rest = text.Trim();
            if (rest.StartsWith("docker://", StringComparison.OrdinalIgnoreCase))
            {
                rest = rest.Substring("docker://".Length);
            }
            string? digest = null;
            int at = rest.IndexOf('@');
            if (at >= 0)
            {
                digest = rest.Substring(at + 1);
                rest = rest.Substring(0, at);
                if (!DigestPattern.IsMatch(digest))
                {
                    throw Invalid(text, $"'{digest}' is not a sha256 digest (sha256: and 64 lowercase hex digits)");
                }
            }
            string? tag = null;
            int slash = rest.LastIndexOf('/');
            int tagColon = rest.LastIndexOf(':');
            if (tagColon > slash)
            {
                tag = rest.Substring(tagColon + 1);
                rest = rest.Substring(0, tagColon);
                if (!TagPattern.IsMatch(tag))
                {
                    throw Invalid(text, $"'{tag}' is not a valid tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
                }
            }
            string[] parts = rest.Split('/');
            string registry = DockerHub;
            if (parts.Length > 1 && (parts[0].Contains(".") || parts[0].Contains(":") || parts[0] == "localhost"))
            {
                registry = parts[0];
                parts = parts.Skip(1).ToArray();
                if (!HostPattern.IsMatch(registry))
                {
                    throw Invalid(text, $"'{registry}' is not a valid registry host[:port]");
                }
                int portColon = registry.LastIndexOf(':');
                if (portColon > registry.LastIndexOf(']') &&
                    (!int.TryParse(registry.Substring(portColon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535))
                {
                    throw Invalid(text, $"'{registry.Substring(portColon + 1)}' is not a TCP port (1 to 65535)");
                }
            }
            if (registry == "index.docker.io" || registry == "registry-1.docker.io")
            {
                registry = DockerHub;
            }
            if (registry == DockerHub && parts.Length == 1)
            {
                parts = new[] { "library", parts[0] };
            }
            string repository = string.Join("/", parts);
            if (parts.Length == 0 || parts.Any(p => !Component.IsMatch(p)) || repository.Length > 255)
            {
                throw Invalid(text, $"'{repository}' is not a valid repository name (lowercase letters and digits, separated by '.', '_', '__', '-' or '/')");
            }
            return new ImageReference(registry, repository, tag, digest);
        }

        private static OsvException Invalid(string text, string why)
            => new OsvException(ErrorIds.OciReferenceInvalid, OsvErrorKind.InvalidArgument,
                $"'{text}' is not an image reference: {why}. Write registry[:port]/repository[:tag][@sha256:digest].", text);
    }
}
