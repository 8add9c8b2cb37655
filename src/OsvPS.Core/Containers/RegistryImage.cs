using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>
    /// An image in a registry: its manifest and config read through <see cref="RemoteManifest.ReadImage"/>, its layers
    /// downloaded by <see cref="BlobDownloader"/> (checked as they arrive, resumable) into the cache folder, and each
    /// download removed once it is unpacked.
    /// </summary>
    internal sealed class RegistryImage : IContainerBlobs
    {
        private readonly RegistryClient client;
        private readonly ContainedFolder store;
        private readonly BlobDownloader downloader;

        private RegistryImage(RegistryClient client, string cache, IProgress<TransferProgress>? progress)
        {
            this.client = client;
            store = new ContainedFolder(cache, rootMayBeLink: true);
            downloader = new BlobDownloader(client, store, System.IO.Path.Combine(cache, "blobs"), progress);
        }

        public static ContainerImage Open(ContainerSource source, ContainerReadOptions options, CancellationToken cancellation)
        {
            string cache = options.CacheFolder ?? throw new ArgumentException("a registry image needs a CacheFolder to download its layers to.", nameof(options));
            var client = new RegistryClient(source.Reference!, options.Registry, push: false);
            var blobs = new RegistryImage(client, cache, options.Progress);
            try
            {
                var (digest, _, _, layers, configBytes) = RemoteManifest.ReadImage(client, why => ContainerImageReader.Invalid(source, why), cancellation);
                return ContainerImageReader.Build(source, digest, source.Reference!.Tag, configBytes, layers, blobs);
            }
            catch
            {
                blobs.Dispose();
                throw;
            }
        }

        public (Stream Stream, bool Checked) OpenLayer(int index, ContainerLayer layer, CancellationToken cancellation)
        {
            string blob = downloader.Fetch($"layer {index + 1}", new OciDescriptor(layer.MediaType, layer.Digest!, layer.Size), cancellation);
            return (UnixFile.OpenRegular(blob), true);
        }

        public void Unpacked(int index, ContainerLayer layer)
        {
            try
            {
                store.Delete(downloader.BlobPath(layer.Digest!));
            }
            catch (Exception e) when (e is IOException || e is OsvException)
            {
                // A download left behind is found and reused by the next read of the same layer.
            }
        }

        public void Dispose()
        {
            store.Dispose();
            client.Dispose();
        }
    }
}
