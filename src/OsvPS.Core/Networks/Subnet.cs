using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Networks
{
    /// <summary>An IPv4 subnet written as CIDR (<c>10.201.0.0/24</c>): the network of an OsvPS network's bridge.</summary>
    internal readonly struct Subnet : IEquatable<Subnet>
    {
        /// <summary>The widest and narrowest prefixes a network may have: /16 (65,534 hosts) to /29 (the bridge and five instances).</summary>
        public const int WidestPrefix = 16;
        public const int NarrowestPrefix = 29;

        public Subnet(uint network, int prefix)
        {
            Network = network;
            Prefix = prefix;
        }

        /// <summary>The network address as a host-order number.</summary>
        public uint Network { get; }
        public int Prefix { get; }
        public uint Mask => Prefix == 0 ? 0u : uint.MaxValue << (32 - Prefix);
        public uint Broadcast => Network | ~Mask;
        /// <summary>The first address: the host's side of the bridge, the instances' gateway and name server.</summary>
        public uint Gateway => Network + 1;
        /// <summary>The addresses instances may get: from the one after the gateway to the one before the broadcast address.</summary>
        public IEnumerable<uint> InstanceAddresses()
        {
            for (uint a = Network + 2; a < Broadcast; a++)
            {
                yield return a;
            }
        }

        public bool Contains(uint address) => (address & Mask) == Network;
        public bool Overlaps(Subnet other) => Contains(other.Network) || other.Contains(Network);

        public string MaskText => Format(Mask);
        public override string ToString() => Format(Network) + "/" + Prefix.ToString(CultureInfo.InvariantCulture);

        public static string Format(uint address)
            => string.Join(".", new[] { address >> 24, (address >> 16) & 255, (address >> 8) & 255, address & 255 }.Select(b => b.ToString(CultureInfo.InvariantCulture)));

        /// <summary>A dotted IPv4 address (four decimal numbers 0-255, nothing else), or null.</summary>
        public static uint? ParseAddress(string text)
        {
            var parts = text.Split('.');
            if (parts.Length != 4)
            {
                return null;
            }
            uint value = 0;
            foreach (string part in parts)
            {
                if (part.Length == 0 || part.Length > 3 || !part.All(c => c >= '0' && c <= '9') || (part.Length > 1 && part[0] == '0'))
                {
                    return null;
                }
                int b = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
                if (b > 255)
                {
                    return null;
                }
                value = (value << 8) | (uint)b;
            }
            return value;
        }

        /// <summary>
        /// Parses <c>A.B.C.D/N</c> with N from <see cref="WidestPrefix"/> to <see cref="NarrowestPrefix"/>, the address
        /// being the network's own (no host bits) and private (RFC 1918: 10/8, 172.16/12, 192.168/16).
        /// </summary>
        public static Subnet Parse(string text)
        {
            int slash = text.IndexOf('/');
            uint? address = slash > 0 ? ParseAddress(text.Substring(0, slash)) : null;
            string prefixText = slash > 0 ? text.Substring(slash + 1) : "";
            if (address == null || prefixText.Length == 0 || prefixText.Length > 2 || !prefixText.All(c => c >= '0' && c <= '9'))
            {
                throw Invalid(text, "write it as CIDR, e.g. 10.201.0.0/24");
            }
            int prefix = int.Parse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (prefix < WidestPrefix || prefix > NarrowestPrefix)
            {
                throw Invalid(text, $"the prefix must be from /{WidestPrefix} to /{NarrowestPrefix}");
            }
            var subnet = new Subnet(address.Value, prefix);
            if ((address.Value & ~subnet.Mask) != 0)
            {
                throw Invalid(text, $"it has host bits set; the network is {new Subnet(address.Value & subnet.Mask, prefix)}");
            }
            if (!Private.Any(p => p.Contains(subnet.Network) && p.Contains(subnet.Broadcast)))
            {
                throw Invalid(text, "it must be a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)");
            }
            return subnet;
        }

        private static readonly Subnet[] Private = { new Subnet(10u << 24, 8), new Subnet((172u << 24) | (16u << 16), 12), new Subnet((192u << 24) | (168u << 16), 16) };

        private static OsvException Invalid(string text, string why)
            => new OsvException(ErrorIds.NetworkSubnetInvalid, OsvErrorKind.InvalidArgument, $"'{text}' is not a subnet OsvPS can use: {why}.", text);

        /// <summary>
        /// The first 10.X.Y.0/24, X from 200 to 254 then 100 to 199, that overlaps none of <paramref name="taken"/> (the host's
        /// routes and the other networks), nor QEMU's user networks (10.0.2.0/24, 192.168.122.0/24); null when all are taken.
        /// </summary>
        public static Subnet? ChooseFree(IEnumerable<Subnet> taken)
        {
            var busy = taken.ToList();
            foreach (int x in Enumerable.Range(200, 55).Concat(Enumerable.Range(100, 100)))
            {
                for (int y = 0; y < 256; y++)
                {
                    var candidate = new Subnet((10u << 24) | ((uint)x << 16) | ((uint)y << 8), 24);
                    if (!busy.Any(b => b.Overlaps(candidate)))
                    {
                        return candidate;
                    }
                }
            }
            return null;
        }

        public bool Equals(Subnet other) => Network == other.Network && Prefix == other.Prefix;
        public override bool Equals(object? obj) => obj is Subnet other && Equals(other);
        public override int GetHashCode() => (int)Network ^ Prefix;
    }
}
