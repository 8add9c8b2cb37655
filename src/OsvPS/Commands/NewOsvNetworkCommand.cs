using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Creates a network of instances on this machine: a Linux bridge with the subnet's first address, and a dnsmasq
    /// that answers the instances' names. Needs root (CAP_NET_ADMIN). With -Connection, defines, starts and marks autostart
    /// an isolated libvirt network on that connection instead (libvirtd makes its bridge and runs its dnsmasq).
    /// </summary>
    [Cmdlet(VerbsCommon.New, "OsvNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvNetwork))]
    public sealed class NewOsvNetworkCommand : OsvCmdlet
    {
        /// <summary>The network's name: up to 32 lower-case letters, digits and '-'.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = new string[0];

        /// <summary>A private IPv4 subnet, /16 to /29 (default: a free 10.X.Y.0/24 that no route of this host overlaps).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Subnet { get; set; }

        /// <summary>A libvirt connection URI (qemu:///system, qemu+ssh://host/system): make the network there, as a libvirt network.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Connection { get; set; }

        private LibvirtNetworks? libvirt;

        protected override void BeginProcessing()
        {
            if (Connection != null)
            {
                try
                {
                    libvirt = LibvirtNetworks.Open(Connection);
                }
                catch (OsvException e)
                {
                    ThrowFailure(e, Connection); // the whole call's: no network can be made
                }
            }
        }

        protected override void ProcessRecord()
        {
            var networks = libvirt == null ? new LocalNetworks(new CapstanRepository().Root) : null;
            foreach (string name in Name)
            {
                ForItem(name, () =>
                {
                    if (libvirt != null)
                    {
                        var (lvSubnet, lvBridge) = libvirt.PlanCreate(name, Subnet);
                        if (ShouldProcess($"{name} on {libvirt.Uri}", $"Define, start and autostart isolated libvirt network {lvSubnet} on bridge {lvBridge}"))
                        {
                            WriteObject(libvirt.Create(name, Subnet));
                        }
                        return;
                    }
                    var (subnet, bridge) = networks!.PlanCreate(name, Subnet);
                    if (ShouldProcess(name, $"Create network {subnet} on bridge {bridge} with a dnsmasq for its names"))
                    {
                        WriteObject(networks.Create(name, Subnet, CancellationToken));
                    }
                });
            }
        }

        protected override void ReleaseResources() => libvirt?.Dispose();
    }
}
