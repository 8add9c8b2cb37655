using System;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Oci;

namespace OsvPS
{
    /// <summary>
    /// Base of the cmdlets that talk to an OCI registry: the parameters for reaching it (in the
    /// <c>Registry</c> parameter set) and progress for blob transfers.
    /// </summary>
    public abstract class RegistryCmdlet : OsvCmdlet
    {
        protected const string RegistrySet = "Registry";

        /// <summary>User and password (or token) for the registry; default: the docker/podman auth files' entry.</summary>
        [Parameter(ParameterSetName = RegistrySet)]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>Accept the registry's TLS certificate without checking it.</summary>
        [Parameter(ParameterSetName = RegistrySet)]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>Allow plain HTTP to a registry that is not on this machine.</summary>
        [Parameter(ParameterSetName = RegistrySet)]
        public SwitchParameter AllowHttp { get; set; }

        /// <summary>PEM files of certificate authorities to trust for the registry, beside the system's.</summary>
        [Parameter(ParameterSetName = RegistrySet)]
        [ValidateNotNullOrEmpty]
        public string[]? CertificateAuthority { get; set; }

        /// <summary>The registry settings these parameters give.</summary>
        protected RegistryOptions CreateRegistryOptions()
        {
            var options = new RegistryOptions
            {
                SkipCertificateCheck = SkipCertificateCheck,
                AllowHttp = AllowHttp,
                CertificateAuthorities = (CertificateAuthority ?? new string[0]).Select(ResolveNewPath).ToArray(),
            };
            if (Credential != null && Credential != PSCredential.Empty)
            {
                options.Credential = new RegistryCredential(Credential.UserName, Credential.GetNetworkCredential().Password) { };
            }
            return options;
        }

        /// <summary>Write-Progress for blob uploads and downloads, one bar a blob, ended when it is whole.</summary>
        protected Core.CallbackProgress<TransferProgress> TransferProgressReporter()
        {
            var show = ProgressPacer.ForTransfers(this, 3);
            return new Core.CallbackProgress<TransferProgress>(p => show($"{p.Activity} {p.Name}", p.Done, p.Total));
        }
    }
}
