using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Oci;

namespace OsvPS.Core.Containers
{
    /// <summary>One layer of an image: the blob as stored (digest, size, media type) and, when the config says, the digest of the tar it unpacks to.</summary>
    public sealed class ContainerLayer
    {
        internal ContainerLayer(string? digest, long size, string mediaType, string? diffId)
        {
            Digest = digest;
            Size = size;
            MediaType = mediaType;
            DiffId = diffId;
        }

        /// <summary>The blob's <c>sha256:</c> digest; null in a docker-archive whose layer is not named by it.</summary>
        public string? Digest { get; }
        public long Size { get; }
        public string MediaType { get; }
        public string? DiffId { get; }
    }

    /// <summary>
    /// A container image read from its source, its manifest and config checked against their digests: how it runs
    /// (<see cref="Config"/>) and its layers, whose bytes are read (and checked) when it is unpacked
    /// (<see cref="ContainerRoot.Unpack"/>). Holds the source open (a registry connection, an archive) until disposed.
    /// </summary>
    public sealed class ContainerImage : IDisposable
    {
        internal ContainerImage(ContainerSource source, string digest, string? tag, ContainerConfig config, IReadOnlyList<ContainerLayer> layers, IContainerBlobs blobs)
        {
            Source = source;
            Digest = digest;
            Tag = tag;
            Config = config;
            Layers = layers;
            Blobs = blobs;
        }

        public ContainerSource Source { get; }
        /// <summary>The image's digest: its manifest's (registry, layout), or its config's (a docker-archive, as docker names images).</summary>
        public string Digest { get; }
        /// <summary>The tag it was found by, when there was one.</summary>
        public string? Tag { get; }
        public ContainerConfig Config { get; }
        public IReadOnlyList<ContainerLayer> Layers { get; }
        /// <summary>The layers' stored size in all.</summary>
        public long Size => Layers.Sum(l => l.Size);

        internal IContainerBlobs Blobs { get; }

        public override string ToString() => Source.Text;

        public void Dispose() => Blobs.Dispose();
    }
}
