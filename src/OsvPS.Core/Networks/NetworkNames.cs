using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Networks
{
    /// <summary>
    /// What a network may be called, and the Linux interface names made from it (at most 15 characters, IFNAMSIZ - 1):
    /// the bridge <c>osvbr-NAME</c>, and a tap per instance.
    /// </summary>
    internal static class NetworkNames
    {
        public const int MaxLength = 32;
        private const string BridgePrefix = "osvbr-";
        /// <summary>The bridge of a libvirt network New-OsvNetwork -Connection makes (libvirtd makes it on its host).</summary>
        public const string LibvirtBridgePrefix = "osvlv-";
        private const string TapPrefix = "osvtap-";
        private const int InterfaceNameMax = 15;

        /// <summary>The words -Network already means (QEMU's own networking modes, and Capstan's 'nat'): no network is called so.</summary>
        public static readonly string[] Reserved = { "User", "Nat", "None", "Bridge", "Tap" };

        public static bool IsValid(string name)
            => name.Length > 0 && name.Length <= MaxLength && IsLowerAlnum(name[0]) && name.All(c => IsLowerAlnum(c) || c == '-')
                && !Reserved.Any(r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase));

        private static bool IsLowerAlnum(char c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

        public static void Validate(string name)
        {
            if (!IsValid(name))
            {
                throw new OsvException(ErrorIds.NetworkNameInvalid, OsvErrorKind.InvalidArgument,
                    $"'{name}' is not a valid network name: use up to {MaxLength} lower-case letters, digits and '-', starting with a letter or digit, and none of {string.Join(", ", Reserved)} (what -Network already means).", name);
            }
        }

        /// <summary>
        /// The bridge's interface name: <c>osvbr-NAME</c> when NAME fits (9 characters), else <c>osvbr-</c> with the name's
        /// first 4 characters and 4 hex digits of its hash.
        /// </summary>
        public static string Bridge(string name) => Interface(BridgePrefix, name);

        /// <summary>The bridge of a libvirt network: <c>osvlv-NAME</c>, shortened as <see cref="Bridge"/> is.</summary>
        public static string LibvirtBridge(string name) => Interface(LibvirtBridgePrefix, name);

        private static string Interface(string prefix, string name)
        {
            int room = InterfaceNameMax - prefix.Length;
            return prefix + (name.Length <= room ? name : name.Substring(0, room - 5).TrimEnd('-') + "-" + Hash(name, 4));
        }

        /// <summary>
        /// The tap of one instance: <c>osvtap-</c> and 8 hex digits of a hash of the repository and the instance's name,
        /// so that instances of two repositories on one host never share one.
        /// </summary>
        public static string Tap(string repositoryRoot, string instance) => TapPrefix + Hash(repositoryRoot + "\0" + instance, InterfaceNameMax - TapPrefix.Length);

        /// <summary>
        /// The MAC address of an instance's NIC on a network: QEMU gives every NIC 52:54:00:12:34:56 unless told, and two
        /// guests with one address on one bridge cannot talk. 52:54:00 (QEMU's prefix) and 3 bytes of the same hash as the tap's.
        /// </summary>
        public static string Mac(string repositoryRoot, string instance)
        {
            string hex = Hash(repositoryRoot + "\0" + instance, 6);
            return "52:54:00:" + hex.Substring(0, 2) + ":" + hex.Substring(2, 2) + ":" + hex.Substring(4, 2);
        }

        /// <summary>
        /// The MAC address of a network's bridge, fixed when it is made. A Linux bridge left to itself takes the lowest
        /// address of its ports, so a tap joining changed the gateway's address under the guests, whose ARP caches kept
        /// the old one: their name lookups (to dnsmasq on the gateway) went nowhere until the entry aged out. An address
        /// set on the bridge stays. 02 (locally administered, unicast) and 5 bytes of a hash of the bridge's name.
        /// </summary>
        public static string BridgeMac(string bridge)
        {
            string hex = Hash("bridge\0" + bridge, 10);
            return "02:" + string.Join(":", Enumerable.Range(0, 5).Select(i => hex.Substring(2 * i, 2)));
        }

        private static string Hash(string text, int digits)
        {
            using (var sha = SHA256.Create())
            {
                return BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(text))).Replace("-", "").Substring(0, digits).ToLowerInvariant();
            }
        }
    }
}
