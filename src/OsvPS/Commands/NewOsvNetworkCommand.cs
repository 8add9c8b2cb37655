using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Networks;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Creates a network of instances on this machine: a Linux bridge with the subnet's first address, and a dnsmasq
    /// that answers the instances' names. Needs root (CAP_NET_ADMIN).
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

        protected override void ProcessRecord()
        {
            var networks = new LocalNetworks(new CapstanRepository().Root);
            foreach (string name in Name)
            {
                ForItem(name, () =>
                {
                    var (subnet, bridge) = networks.PlanCreate(name, Subnet);
                    if (ShouldProcess(name, $"Create network {subnet} on bridge {bridge} with a dnsmasq for its names"))
                    {
                        WriteObject(networks.Create(name, Subnet, CancellationToken));
                    }
                });
            }
        }
    }
}
