using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Qemu
{
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum NetworkMode
    {
        User,
        Bridge,
        Tap,
        None,
        /// <summary>An OsvPS network of this machine (New-OsvNetwork), named by <see cref="MachineOptions.NetworkName"/>.</summary>
        Named,
    }

    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum Accelerator
    {
        Auto,
        Kvm,
        Tcg,
    }

    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum BootMode
    {
        Auto,
        Disk,
        Kernel,
    }

    /// <summary>
    /// A host port forwarded to a guest port (user networking). Forwards are private: without an address
    /// the host side listens on 127.0.0.1 only (QEMU's empty host address would mean every interface).
    /// </summary>
    public sealed class PortForward
    {
        /// <summary>The host address a forward without one listens on.</summary>
        public const string DefaultAddress = "127.0.0.1";

        public PortForward(string protocol, int hostPort, int guestPort)
            : this(protocol, DefaultAddress, hostPort, guestPort)
        {
        }

        public PortForward(string protocol, string hostAddress, int hostPort, int guestPort)
        {
            Protocol = protocol;
            HostAddress = hostAddress.Length == 0 ? DefaultAddress : hostAddress;
            HostPort = hostPort;
            GuestPort = guestPort;
        }

        public string Protocol { get; }
        /// <summary>The host address the forward listens on (127.0.0.1 unless the user wrote one).</summary>
        public string HostAddress { get; }
        public int HostPort { get; }
        public int GuestPort { get; }
        /// <summary>True for an IPv6 host address.</summary>
        public bool IsIPv6 => HostAddress.IndexOf(':') >= 0;

        /// <summary>
        /// Parses <c>[PROTO:][ADDRESS:]HOST:GUEST</c>: PROTO is tcp (default) or udp, ADDRESS an IPv4 address
        /// or a bracketed IPv6 one (<c>[::1]</c>); without ADDRESS the forward listens on 127.0.0.1.
        /// </summary>
        public static PortForward Parse(string text)
        {
            string rest = text.Trim();
            string protocol = "tcp";
            int colon = rest.IndexOf(':');
            if (colon > 0 && (rest.Substring(0, colon).Equals("tcp", StringComparison.OrdinalIgnoreCase) || rest.Substring(0, colon).Equals("udp", StringComparison.OrdinalIgnoreCase)))
            {
                protocol = rest.Substring(0, colon).ToLowerInvariant();
                rest = rest.Substring(colon + 1);
            }
            string? address = null;
            if (rest.StartsWith("[", StringComparison.Ordinal))
            {
                int close = rest.IndexOf(']');
                if (close > 1 && close + 1 < rest.Length && rest[close + 1] == ':')
                {
                    address = rest.Substring(1, close - 1);
                    rest = rest.Substring(close + 2);
                }
                else
                {
                    throw Invalid(text);
                }
            }
            var parts = rest.Split(':');
            if (address == null && parts.Length == 3)
            {
                address = parts[0];
                parts = parts.Skip(1).ToArray();
            }
            if (parts.Length != 2 ||
                !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int host) ||
                !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int guest) ||
                host < 1 || host > 65535 || guest < 1 || guest > 65535)
            {
                throw Invalid(text);
            }
            if (address != null)
            {
                // Only a literal address: a host name or anything else would reach QEMU's option parser.
                if (!System.Net.IPAddress.TryParse(address, out var ip) ||
                    (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) != (address.Count(c => c == '.') == 3 && address.IndexOf(':') < 0))
                {
                    throw Invalid(text);
                }
                address = ip.ToString();
            }
            return new PortForward(protocol, address ?? DefaultAddress, host, guest);
        }

        private static OsvException Invalid(string text)
            => new OsvException(ErrorIds.ForwardInvalid, OsvErrorKind.InvalidArgument,
                $"'{text}' is not a port forward; write HOST:GUEST (listens on 127.0.0.1) or ADDRESS:HOST:GUEST with an IPv4 address (0.0.0.0 for every interface), with an optional tcp: or udp: in front, and ports 1-65535.", text);

        /// <summary><c>tcp:127.0.0.1:8080:80</c>, <c>tcp:[::1]:8080:80</c>.</summary>
        public override string ToString() => $"{Protocol}:{(IsIPv6 ? "[" + HostAddress + "]" : HostAddress)}:{HostPort}:{GuestPort}";

        /// <summary>QEMU's <c>hostfwd</c> rule for this forward, to <paramref name="guestAddress"/> (default: the guest's first DHCP address).</summary>
        public string ToHostForward(string guestAddress = "") => $"{Protocol}:{(IsIPv6 ? "[" + HostAddress + "]" : HostAddress)}:{HostPort}-{guestAddress}:{GuestPort}";
    }

    /// <summary>An extra disk given to the guest.</summary>
    public sealed class VolumeSpec
    {
        public VolumeSpec(string path, string? format)
        {
            Path = path;
            Format = format;
        }

        public string Path { get; }
        public string? Format { get; }

        /// <summary>The disk formats a volume may name; anything else could smuggle options into QEMU's -drive.</summary>
        public static readonly string[] Formats = { "raw", "qcow2", "vmdk", "vdi", "vhdx", "qed", "vpc" };

        /// <summary>Parses <c>path[:format=fmt]</c>; the format must be one of <see cref="Formats"/>.</summary>
        public static VolumeSpec Parse(string text)
        {
            int marker = text.LastIndexOf(":format=", StringComparison.Ordinal);
            if (marker >= 0 && Array.IndexOf(Formats, text.Substring(marker + 8)) < 0)
            {
                throw new OsvException(ErrorIds.VolumeInvalid, OsvErrorKind.InvalidArgument,
                    $"'{text}': the volume format must be one of {string.Join(", ", Formats)}.", text);
            }
            return marker < 0 ? new VolumeSpec(text, null) : new VolumeSpec(text.Substring(0, marker), text.Substring(marker + 8));
        }
    }

    /// <summary>The virtual machine a user asks for: size, network, extra disks.</summary>
    public sealed class MachineOptions
    {
        /// <summary>
        /// Refuses values that would be read as more than a name inside QEMU's comma-separated options
        /// (<c>-Bridge 'br0,helper=/x'</c> would make QEMU run /x): a bridge or tap device is an
        /// interface name, at most 15 letters, digits, '.', '_', ':' or '-'.
        /// </summary>
        public void Validate()
        {
            if (Network == NetworkMode.Named)
            {
                Networks.NetworkNames.Validate(NetworkName ?? "");
            }
            foreach (var (what, value) in new[] { ("-Bridge", Bridge), ("-TapDevice", TapDevice) })
            {
                if (value != null && (value.Length == 0 || value.Length > 15 ||
                    !value.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == ':' || c == '-'))))
                {
                    throw new OsvException(ErrorIds.InstanceSettingInvalid, OsvErrorKind.InvalidArgument,
                        $"{what} '{value}' is not a network interface name (at most 15 letters, digits, '.', '_', ':' and '-').", value);
                }
            }
        }

        public int MemoryMiB { get; set; } = 1024;
        public int Cpus { get; set; } = 2;
        public NetworkMode Network { get; set; } = NetworkMode.User;
        /// <summary>With <see cref="NetworkMode.Named"/>: the OsvPS network the instance joins.</summary>
        public string? NetworkName { get; set; }

        /// <summary>What -Network says, as written: the networking modes (<c>User</c>, Capstan's <c>Nat</c>, <c>None</c>, <c>Bridge</c>, <c>Tap</c>, any case), else the name of an OsvPS network.</summary>
        public void SetNetwork(string text)
        {
            var mode = new[] { NetworkMode.User, NetworkMode.None, NetworkMode.Bridge, NetworkMode.Tap }
                .Select(m => (NetworkMode?)m).FirstOrDefault(m => string.Equals(m.ToString(), text, StringComparison.OrdinalIgnoreCase));
            if (mode == null && string.Equals(text, "Nat", StringComparison.OrdinalIgnoreCase))
            {
                mode = NetworkMode.User;
            }
            Network = mode ?? NetworkMode.Named;
            NetworkName = mode == null ? text : null;
        }

        /// <summary>How the instance's network reads on it: the mode, or the network's name.</summary>
        public string NetworkText => Network == NetworkMode.Named ? NetworkName ?? "" : Network.ToString();
        public string? Bridge { get; set; }
        public string? TapDevice { get; set; }
        public IReadOnlyList<PortForward> Forwards { get; set; } = new PortForward[0];
        public IReadOnlyList<VolumeSpec> Volumes { get; set; } = new VolumeSpec[0];
    }

    /// <summary>Everything the QEMU command line of an instance depends on.</summary>
    internal sealed class InstanceSettings
    {
        public string Name { get; set; } = "";
        public string DiskPath { get; set; } = "";
        public string DiskFormat { get; set; } = "qcow2";
        public MachineOptions Machine { get; set; } = new MachineOptions();
        /// <summary>Kvm or Tcg (the probe has already decided Auto).</summary>
        public Accelerator Accelerator { get; set; } = Accelerator.Tcg;
        /// <summary><c>none</c> when O_DIRECT works on the instance folder, else <c>unsafe</c>.</summary>
        public string Cache { get; set; } = "unsafe";
        public string AioType { get; set; } = "threads";
        public string ConsolePath { get; set; } = "";
        public string MonitorPath { get; set; } = "";
        public string PidPath { get; set; } = "";
        /// <summary>With a kernel ELF: <c>-kernel</c> and <c>-append</c>.</summary>
        public string? KernelPath { get; set; }
        public string? KernelCommandLine { get; set; }
        /// <summary>
        /// A QEMU config file (<see cref="QemuArguments.KernelConfig"/>) that holds the kernel and its command line, read
        /// with <c>-readconfig</c>, so the command line (with the values of -Env) is not in QEMU's arguments, which every
        /// local user can read in /proc.
        /// </summary>
        public string? KernelConfigPath { get; set; }
        /// <summary>With <see cref="NetworkMode.Named"/>: the tap QEMU makes and OsvPS puts on the network's bridge.</summary>
        public string? NetworkTap { get; set; }
        /// <summary>With <see cref="NetworkMode.Named"/>: the tap NIC's MAC address, one per instance (QEMU's default is the same for all).</summary>
        public string? NetworkMac { get; set; }
        /// <summary>With <see cref="NetworkMode.Named"/> and forwards: the user network of the second NIC that carries them (<c>10.0.2.0/24</c>), and the guest's address on it.</summary>
        public string? ForwardNetwork { get; set; }
        public string? ForwardGuest { get; set; }
        /// <summary>Start with the CPUs stopped (<c>-S</c>): the engine lets them run once the tap is on its bridge.</summary>
        public bool Paused { get; set; }
        /// <summary>Keep QEMU (paused) when the guest powers off, so OSv's kernel log can be read from its memory.</summary>
        public bool NoShutdown { get; set; }
    }

    /// <summary>Builds QEMU's argument list from <see cref="InstanceSettings"/>; a pure function.</summary>
    internal static class QemuArguments
    {
        public static IReadOnlyList<string> Build(InstanceSettings s)
        {
            var m = s.Machine;
            var a = new List<string>
            {
                "-name", s.Name,
                "-m", m.MemoryMiB.ToString(CultureInfo.InvariantCulture) + "M",
                "-smp", m.Cpus.ToString(CultureInfo.InvariantCulture),
                "-display", "none",
                // With -kernel QEMU boots through an option ROM that takes boot index 0 itself.
                "-device", s.KernelPath == null ? "virtio-blk-pci,id=blk0,bootindex=0,drive=hd0" : "virtio-blk-pci,id=blk0,drive=hd0",
                "-drive", $"file={Escape(s.DiskPath)},format={s.DiskFormat},if=none,id=hd0,aio={s.AioType},cache={s.Cache}",
                "-device", "virtio-rng-pci",
            };
            for (int i = 0; i < m.Volumes.Count; i++)
            {
                var v = m.Volumes[i];
                string format = v.Format == null ? "" : ",format=" + v.Format;
                a.Add("-device");
                a.Add($"virtio-blk-pci,id=blk{i + 1},drive=vol{i + 1}");
                a.Add("-drive");
                a.Add($"file={Escape(v.Path)}{format},if=none,id=vol{i + 1},aio={s.AioType},cache={s.Cache}");
            }
            switch (m.Network)
            {
                case NetworkMode.User:
                    string forwards = string.Concat(m.Forwards.Select(f => ",hostfwd=" + f.ToHostForward()));
                    a.AddRange(new[] { "-netdev", "user,id=un0,net=192.168.122.0/24,host=192.168.122.1" + forwards, "-device", "virtio-net-pci,netdev=un0" });
                    break;
                case NetworkMode.Bridge:
                    a.AddRange(new[] { "-netdev", $"bridge,id=un0,br={m.Bridge ?? "virbr0"}", "-device", "virtio-net-pci,netdev=un0" });
                    break;
                case NetworkMode.Tap:
                    a.AddRange(new[] { "-netdev", $"tap,id=un0,ifname={m.TapDevice},script=no,downscript=no", "-device", "virtio-net-pci,netdev=un0" });
                    break;
                case NetworkMode.None:
                    a.AddRange(new[] { "-nic", "none" });
                    break;
                case NetworkMode.Named:
                    // The tap is the first NIC, so OSv names it eth0; QEMU makes it (it is gone when QEMU ends).
                    a.AddRange(new[] { "-netdev", $"tap,id=un0,ifname={s.NetworkTap},script=no,downscript=no", "-device", $"virtio-net-pci,netdev=un0,mac={s.NetworkMac}" });
                    if (m.Forwards.Count > 0)
                    {
                        // Forwards come through a second NIC (eth1) on a user network of its own; restrict=on keeps the guest
                        // from reaching the host or the outside through it, while the forwards still come in.
                        string rules = string.Concat(m.Forwards.Select(f => ",hostfwd=" + f.ToHostForward(s.ForwardGuest ?? "")));
                        a.AddRange(new[] { "-netdev", $"user,id=fw0,net={s.ForwardNetwork},restrict=on" + rules, "-device", "virtio-net-pci,netdev=fw0" });
                    }
                    break;
            }
            a.AddRange(new[]
            {
                "-chardev", $"file,id=console0,path={Escape(s.ConsolePath)}",
                "-device", "isa-serial,chardev=console0",
                "-chardev", $"socket,id=monitor0,path={Escape(s.MonitorPath)},server=on,wait=off",
                "-mon", "chardev=monitor0,mode=control",
                "-pidfile", s.PidPath,
            });
            if (s.Paused)
            {
                a.Add("-S");
            }
            if (s.NoShutdown)
            {
                a.Add("-no-shutdown");
            }
            if (s.Accelerator == Accelerator.Kvm)
            {
                a.AddRange(new[] { "-accel", "kvm", "-cpu", "host" });
            }
            else
            {
                a.AddRange(new[] { "-accel", "tcg" });
            }
            if (s.KernelPath != null)
            {
                a.AddRange(s.KernelConfigPath != null
                    ? new[] { "-readconfig", s.KernelConfigPath }
                    : new[] { "-kernel", s.KernelPath, "-append", s.KernelCommandLine ?? "" });
            }
            return a;
        }

        // QEMU's config file reader (util/qemu-config.c) reads a line of at most 1023 bytes and takes a value as the
        // text between two double quotes, with no escape: a longer line spills into the next read, a quote ends the
        // value. The longest value line here is '  append = "' + value + '"' and its line end: 14 bytes around it.
        private const int MaxConfigValue = 1023 - 14;

        /// <summary>
        /// The text of a QEMU config file that boots <paramref name="kernelPath"/> with <paramref name="commandLine"/>
        /// (the machine's <c>kernel</c> and <c>append</c> properties, as <c>-kernel</c> and <c>-append</c> set them);
        /// null when QEMU's config grammar cannot carry them (a double quote, a line break, over 1023 bytes).
        /// </summary>
        public static string? KernelConfig(string kernelPath, string commandLine)
        {
            bool Fits(string value) => value.IndexOfAny(new[] { '"', '\n', '\r', '\0' }) < 0 && System.Text.Encoding.UTF8.GetByteCount(value) <= MaxConfigValue;
            if (!Fits(kernelPath) || !Fits(commandLine))
            {
                return null;
            }
            return "# Written by OsvPS: the kernel and its command line, kept out of QEMU's arguments.\n" +
                "[machine]\n" +
                "  kernel = \"" + kernelPath + "\"\n" +
                "  append = \"" + commandLine + "\"\n";
        }

        // QEMU's option syntax doubles a comma to keep it inside a value.
        private static string Escape(string value) => value.Replace(",", ",,");
    }

    /// <summary>Finds QEMU.</summary>
    internal static class QemuInstallation
    {
        public static string FindEmulator(string? explicitPath = null) => ToolLocator.Find("qemu-system-x86_64", explicitPath);
    }
}
