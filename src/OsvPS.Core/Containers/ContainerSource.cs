using System;
using System.IO;
using System.Text.RegularExpressions;
using OsvPS.Core.Errors;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>Where a container image is read from.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum ContainerSourceKind
    {
        /// <summary>A registry: <c>host[:port]/repository[:tag][@sha256:...]</c>.</summary>
        Registry,
        /// <summary>An OCI image layout folder (skopeo's and umoci's <c>oci:</c>).</summary>
        OciLayout,
        /// <summary>What <c>docker save</c> and <c>podman save</c> write (<c>docker-archive:</c>).</summary>
        DockerArchive,
    }

    /// <summary>
    /// A container image reference in one of the three forms skopeo writes: <c>oci:&lt;folder&gt;[:tag]</c>,
    /// <c>docker-archive:&lt;file&gt;</c>, else a registry reference (<see cref="ImageReference"/>).
    /// </summary>
    public sealed class ContainerSource
    {
        private static readonly Regex TagPattern = new Regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant);

        private ContainerSource(ContainerSourceKind kind, string text, string? path, string? tag, ImageReference? reference)
        {
            Kind = kind;
            Text = text;
            Path = path;
            Tag = tag;
            Reference = reference;
        }

        public ContainerSourceKind Kind { get; }
        /// <summary>The reference as it was written.</summary>
        public string Text { get; }
        /// <summary>The full path of the layout folder or the archive file; null for a registry.</summary>
        public string? Path { get; }
        /// <summary>The tag asked for in a layout (its <c>org.opencontainers.image.ref.name</c>), or the registry tag.</summary>
        public string? Tag { get; }
        /// <summary>The registry reference; null for a layout or an archive.</summary>
        public ImageReference? Reference { get; }

        public override string ToString() => Text;

        /// <summary>Reads <paramref name="text"/>; relative paths are taken from <paramref name="currentFolder"/> (default: the process's).</summary>
        public static ContainerSource Parse(string text, string? currentFolder = null)
        {
            string trimmed = (text ?? "").Trim();
            if (trimmed.Length == 0)
            {
                throw Invalid(text ?? "", "it is empty");
            }
            if (trimmed.StartsWith("oci:", StringComparison.Ordinal))
            {
                string rest = trimmed.Substring(4);
                string? tag = null;
                int colon = rest.LastIndexOf(':');
                // A colon followed by a '/' is part of the path; otherwise what follows it is the tag.
                if (colon >= 0 && rest.IndexOf('/', colon) < 0)
                {
                    tag = rest.Substring(colon + 1);
                    rest = rest.Substring(0, colon);
                    if (!TagPattern.IsMatch(tag))
                    {
                        throw Invalid(trimmed, $"'{tag}' is not a tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
                    }
                }
                return new ContainerSource(ContainerSourceKind.OciLayout, trimmed, FullPath(rest, trimmed, currentFolder), tag, null);
            }
            if (trimmed.StartsWith("docker-archive:", StringComparison.Ordinal))
            {
                return new ContainerSource(ContainerSourceKind.DockerArchive, trimmed, FullPath(trimmed.Substring("docker-archive:".Length), trimmed, currentFolder), null, null);
            }
            foreach (string other in new[] { "oci-archive:", "dir:", "containers-storage:", "docker-daemon:", "sif:" })
            {
                if (trimmed.StartsWith(other, StringComparison.Ordinal))
                {
                    throw Invalid(trimmed, $"'{other}' images are not read by OsvPS (copy it to oci:<folder> with skopeo first)");
                }
            }
            ImageReference reference;
            try
            {
                reference = ImageReference.Parse(trimmed);
            }
            catch (OsvException e)
            {
                throw new OsvException(ErrorIds.ContainerReferenceInvalid, OsvErrorKind.InvalidArgument,
                    $"'{trimmed}' is not a container image reference: {e.Message} Or write oci:<folder>[:tag] or docker-archive:<file>.", trimmed, e);
            }
            return new ContainerSource(ContainerSourceKind.Registry, trimmed, null, reference.Tag, reference);
        }

        private static string FullPath(string path, string text, string? currentFolder)
        {
            if (path.Length == 0)
            {
                throw Invalid(text, "it names no path");
            }
            return System.IO.Path.GetFullPath(path, currentFolder ?? Directory.GetCurrentDirectory());
        }

        private static OsvException Invalid(string text, string why)
            => new OsvException(ErrorIds.ContainerReferenceInvalid, OsvErrorKind.InvalidArgument,
                $"'{text}' is not a container image reference: {why}. Write oci:<folder>[:tag], docker-archive:<file> or registry[:port]/repository[:tag][@sha256:digest].", text);
    }
}
