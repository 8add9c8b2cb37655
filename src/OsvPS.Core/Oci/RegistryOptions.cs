using System.Collections.Generic;

namespace OsvPS.Core.Oci
{
    /// <summary>How to reach a registry: credentials, TLS and plain HTTP, upload chunking.</summary>
    public sealed class RegistryOptions
    {
        /// <summary>Credentials; when null, the user's auth files are searched for the registry.</summary>
        public RegistryCredential? Credential { get; set; }

        /// <summary>Accept any server certificate (only when asked: -SkipCertificateCheck).</summary>
        public bool SkipCertificateCheck { get; set; }

        /// <summary>Allow plain HTTP to a registry that is not on this machine (loopback ones may always use it).</summary>
        public bool AllowHttp { get; set; }

        /// <summary>PEM files of certificate authorities to trust for this registry, beside the system's.</summary>
        public IReadOnlyList<string> CertificateAuthorities { get; set; } = new string[0];

        /// <summary>
        /// Blobs larger than this go up in PATCH chunks of this size (a chunk that breaks resumes from the
        /// session's Range); smaller ones in one PUT (restarted if it breaks). 0: always one PUT. The
        /// distribution registry handles each PATCH at a cost, so chunks are large (bench/Oci.ps1).
        /// </summary>
        public long ChunkSize { get; set; } = 64L << 20;

        /// <summary>How often a broken blob upload or download is resumed or restarted before it is an error.</summary>
        public int Attempts { get; set; } = 3;

        /// <summary>
        /// The floor every request and transfer keeps above: an answer within <see cref="IO.TransferLimits.AnswerTimeout"/>
        /// (of a request without a body, or once a body was sent), a byte within its IdleTimeout, and its MinimumRate.
        /// </summary>
        public IO.TransferLimits Limits { get; set; } = new IO.TransferLimits();
    }
}
