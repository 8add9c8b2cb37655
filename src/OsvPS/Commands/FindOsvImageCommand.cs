using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Oci;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists the OSv loaders releases offer (variants, sizes, kernels), or (with -Reference) the tags of
    /// an OCI repository, or what one tag or digest holds.
    /// </summary>
    [Cmdlet(VerbsCommon.Find, "OsvImage", DefaultParameterSetName = ReleaseSet)]
    [OutputType(typeof(OsvRemoteImage), ParameterSetName = new[] { ReleaseSet })]
    [OutputType(typeof(OsvRegistryImage), ParameterSetName = new[] { RegistrySet })]
    public sealed class FindOsvImageCommand : RegistryCmdlet
    {
        private const string ReleaseSet = "Release";

        /// <summary>A release tag, 'latest' (default), or '*' for every release.</summary>
        [Parameter(Position = 0, ParameterSetName = ReleaseSet)]
        public string Version { get; set; } = "latest";

        [Parameter(ParameterSetName = ReleaseSet)]
        [ValidateSet("*", "default", "hidden", "microvm", "with-zfs", IgnoreCase = true)]
        public string Variant { get; set; } = "*";

        [Parameter(ParameterSetName = ReleaseSet)]
        public string? Source { get; set; }

        /// <summary>registry/repository (its tags; a wildcard tag filters them) or registry/repository:tag or @sha256:digest (that image, read).</summary>
        [Parameter(Mandatory = true, ParameterSetName = RegistrySet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Reference { get; set; } = null!;

        protected override void ProcessRecord()
        {
            if (ParameterSetName != RegistrySet)
            {
                return;
            }
            foreach (string text in Reference)
            {
                ForItem(text, () => FindInRegistry(text));
            }
        }

        protected override void EndProcessing()
        {
            if (ParameterSetName == RegistrySet)
            {
                return;
            }
            var repository = new CapstanRepository();
            ForItem(Version, () =>
            {
                using (var source = Releases.Open(repository, Source))
                {
                    var catalog = new RemoteCatalog(repository, source);
                    WriteObject(source.Select(Version, CancellationToken).SelectMany(catalog.FindImages).Where(i => Variant == "*" || i.Variant == Variant.ToLowerInvariant()), enumerateCollection: true);
                }
            });
        }

        // A tag with wildcards lists the matching tags; a plain tag or a digest reads that image.
        private void FindInRegistry(string text)
        {
            string? pattern = null;
            int slash = text.LastIndexOf('/'), colon = text.LastIndexOf(':');
            if (colon > slash && text.IndexOf('@') < 0 && WildcardPattern.ContainsWildcardCharacters(text.Substring(colon + 1)))
            {
                pattern = text.Substring(colon + 1);
                text = text.Substring(0, colon);
            }
            var reference = ImageReference.Parse(text);
            using (var client = new RegistryClient(reference, CreateRegistryOptions(), push: false))
            {
                if (reference.Tag != null || reference.Digest != null)
                {
                    WriteObject(RemoteManifest.Read(client, CancellationToken).ToRegistryImage());
                    return;
                }
                var wildcard = Names.Pattern(pattern ?? "*");
                foreach (string tag in RegistryTags.List(client, CancellationToken).Where(t => wildcard.IsMatch(t)))
                {
                    WriteObject(new OsvRegistryImage(reference.WithTag(tag), null, null, null));
                }
            }
        }
    }
}
