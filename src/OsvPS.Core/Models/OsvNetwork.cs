using System;
using System.Collections.Generic;

namespace OsvPS.Core.Models
{
    /// <summary>
    /// A network of instances: on this machine (Engine Qemu), a Linux bridge with the subnet's first address on the host's
    /// side, a tap per running instance on it, and a dnsmasq that answers the instances' names; on a libvirt connection
    /// (Engine Libvirt), one of its networks, the instances being its DNS host records.
    /// </summary>
    public sealed class OsvNetwork
    {
        internal OsvNetwork(string name, string subnet, string gateway, string mask, string bridge, bool bridgeUp, int? dnsPid,
            IEnumerable<string> instances, IEnumerable<string> addresses, DateTime? created, string path)
        {
            Name = name;
            Subnet = subnet;
            Gateway = gateway;
            Mask = mask;
            Bridge = bridge;
            State = bridgeUp && dnsPid != null ? "Up" : bridgeUp ? "NoDns" : "Down";
            DnsPid = dnsPid;
            Instances = TextList.Of(instances);
            IPAddress = TextList.Of(addresses);
            Created = created;
            Path = path;
            Engine = "Qemu";
        }

        /// <summary>A network of a libvirt connection: <paramref name="active"/> says whether it runs (Up) or is only defined (Down).</summary>
        internal OsvNetwork(string connection, string name, string subnet, string gateway, string mask, string bridge, bool active,
            IEnumerable<string> instances, IEnumerable<string> addresses)
            : this(name, subnet, gateway, mask, bridge, active, 0, instances, addresses, null, "")
        {
            State = active ? "Up" : "Down";
            DnsPid = null;
            Connection = connection;
            Engine = "Libvirt";
        }

        public string Name { get; }
        /// <summary>The subnet, as CIDR (<c>10.200.0.0/24</c>).</summary>
        public string Subnet { get; }
        /// <summary>The subnet's first address: the bridge's, on the host; the instances' default gateway and name server.</summary>
        public string Gateway { get; }
        public string Mask { get; }
        /// <summary>The Linux bridge (<c>osvbr-NAME</c>).</summary>
        public string Bridge { get; }
        /// <summary>
        /// <c>Up</c> (the bridge and the name server run), <c>NoDns</c> (the bridge without its dnsmasq) or <c>Down</c> (no
        /// bridge: after the host restarted; the next start of an instance on it makes them again).
        /// </summary>
        public string State { get; }
        /// <summary>The process id of the network's dnsmasq, while it runs.</summary>
        public int? DnsPid { get; }
        /// <summary>The instances that hold an address on it, in the order of <see cref="IPAddress"/>.</summary>
        public TextList Instances { get; }
        /// <summary>The addresses those instances hold.</summary>
        public TextList IPAddress { get; }
        public DateTime? Created { get; }
        /// <summary>The folder that keeps its state (<c>$CAPSTAN_ROOT/networks/NAME</c>).</summary>
        public string Path { get; }

        /// <summary><c>Qemu</c> for a network of this machine's QEMU instances, <c>Libvirt</c> for a libvirt connection's.</summary>
        public string Engine { get; }
        /// <summary>The libvirt connection URI of a libvirt network; null for a network of this machine.</summary>
        public string? Connection { get; }

        public override string ToString() => Name;
    }
}
