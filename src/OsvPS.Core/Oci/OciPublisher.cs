using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// Pushes an OsvPS image to a registry: each layer and the config as blobs (none the repository
    /// already has), then the manifest under the tag. The manifest goes last, so a push that fails
    /// leaves no tag pointing at missing or partial blobs.
    /// </summary>
    public static class OciPublisher
    {
        /// <summary>The plan for <paramref name="image"/>: layers, config and manifest with their digests; nothing is sent.</summary>
        public static PublishPlan Plan(OsvImage image, ImageReference reference, bool withKernel)
        {
            if (reference.Digest != null)
            {
                throw new OsvException(ErrorIds.OciReferenceInvalid, OsvErrorKind.InvalidArgument,
                    $"'{reference}' pins a digest; a push names a tag (the digest is what the registry computes).", reference.ToString());
            }
            if (reference.Tag == null)
            {
                reference = reference.WithTag("latest");
            }
            string? kernel = withKernel ? Instances.InstancePlanner.FindKernel(image.Path) : null;
            if (kernel != null)
            {
                string? recorded = CapstanRepository.ReadIndexFile(Path.Combine(Path.GetDirectoryName(kernel) ?? ".", "index.yaml")).KernelSha256;
                if (recorded != null && Digest.OfFile(kernel) != "sha256:" + recorded)
                {
                    throw new OsvException(ErrorIds.KernelCorrupt, OsvErrorKind.InvalidData,
                        $"the kernel '{kernel}' no longer matches the SHA-256 recorded when it was downloaded; it is not published.", kernel);
                }
            }
            return OsvArtifact.Plan(image, kernel, reference);
        }

        public static OsvRegistryImage Publish(PublishPlan plan, RegistryOptions options, IProgress<TransferProgress>? progress, CancellationToken cancellation)
        {
            using (var client = new RegistryClient(plan.Reference, options, push: true))
            {
                var uploader = new BlobUploader(client, progress);
                int sent = 0, skipped = 0;
                foreach (var layer in plan.Layers)
                {
                    string name = layer.Folder == OsvArtifact.KernelFolder ? "the kernel" : "the disk";
                    if (uploader.Upload(name, layer.Digest, layer.Size, layer.Open, cancellation))
                    {
                        sent++;
                    }
                    else
                    {
                        skipped++;
                    }
                }
                if (uploader.Upload("the config", plan.ConfigDigest, plan.Config.Length, () => new MemoryStream(plan.Config, false), cancellation))
                {
                    sent++;
                }
                else
                {
                    skipped++;
                }
                PutManifest(client, plan, cancellation);
                var labels = plan.Labels;
                return new OsvRegistryImage(plan.Reference, plan.ManifestDigest, labels, plan.Size, sent, skipped);
            }
        }

        private static void PutManifest(RegistryClient client, PublishPlan plan, CancellationToken cancellation)
        {
            HttpRequestMessage Make()
            {
                var content = new ByteArrayContent(plan.Manifest);
                content.Headers.ContentType = new MediaTypeHeaderValue(OciMediaTypes.ImageManifest);
                return new HttpRequestMessage(HttpMethod.Put, client.Url("manifests/" + plan.Reference.Tag)) { Content = content };
            }
            using (var response = client.Send(Make, "the manifest of " + plan.Reference, cancellation))
            {
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw client.Failure(response, "the manifest of " + plan.Reference, null);
                }
                if (response.Headers.TryGetValues("Docker-Content-Digest", out var said) && said.First() != plan.ManifestDigest)
                {
                    throw new OsvException(ErrorIds.OciDigestMismatch, OsvErrorKind.InvalidData,
                        $"{client.Reference.Registry} stored the manifest of {plan.Reference} as {said.First()}, not as {plan.ManifestDigest} that was sent.", plan.Reference.ToString());
                }
            }
        }
    }
}
