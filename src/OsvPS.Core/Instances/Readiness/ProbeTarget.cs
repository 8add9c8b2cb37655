using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using OsvPS.Core.Models;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>
    /// What a probe is checked against: an instance's forwards and console, or (for networks that reach the
    /// guest itself) the guest's address. Built from an <see cref="OsvInstance"/>, or before a start from the
    /// forwards asked for.
    /// </summary>
    internal sealed class ProbeTarget
    {
        public ProbeTarget(string name, IReadOnlyList<PortForward> forwards, string? consolePath, bool hidesDebugLines = false,
            IReadOnlyList<string>? runscriptFiles = null, IPAddress? guestAddress = null)
        {
            Name = name;
            Forwards = forwards;
            ConsolePath = consolePath;
            HidesDebugLines = hidesDebugLines;
            RunscriptFiles = runscriptFiles ?? new string[0];
            GuestAddress = guestAddress;
        }

        /// <summary>An instance: its forwards as it lists them (every engine lists them on the instance), its console.</summary>
        public static ProbeTarget Of(OsvInstance instance)
            => new ProbeTarget(instance.Name, instance.Forwards.Select(TryParse).Where(f => f != null).Select(f => f!).ToList(), instance.ConsolePath,
                InstanceConsole.HidesDebugLines(instance), InstanceConsole.RunscriptFiles(instance));

        public string Name { get; }
        public IReadOnlyList<PortForward> Forwards { get; }
        /// <summary>The console log (null before a start).</summary>
        public string? ConsolePath { get; }
        public bool HidesDebugLines { get; }
        public IReadOnlyList<string> RunscriptFiles { get; }
        /// <summary>The guest's own address, when the host reaches it directly (no forward needed); null through forwards.</summary>
        public IPAddress? GuestAddress { get; }

        /// <summary>The forwards as the user wrote them back, for messages.</summary>
        public string ForwardsText => Forwards.Count == 0 ? "none" : string.Join(", ", Forwards);

        /// <summary>The address to connect to for a forward: its own, or loopback for one on every interface.</summary>
        public static IPAddress ConnectAddress(PortForward forward)
        {
            var address = IPAddress.Parse(forward.HostAddress);
            return address.Equals(IPAddress.Any) ? IPAddress.Loopback : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : address;
        }

        private static PortForward? TryParse(string text)
        {
            try
            {
                return PortForward.Parse(text);
            }
            catch (Errors.OsvException)
            {
                return null;
            }
        }
    }
}
