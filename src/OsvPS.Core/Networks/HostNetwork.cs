using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Networks
{
    /// <summary>
    /// The host side of a network: Linux bridges and taps through iproute2's <c>ip</c>, and a dnsmasq per network,
    /// each call bounded by <see cref="Deadline"/>. Every argument is a checked name or address, passed as its own
    /// argument (never through a shell).
    /// </summary>
    internal static class HostNetwork
    {
        /// <summary>How long one <c>ip</c> or <c>dnsmasq</c> call may take.</summary>
        public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

        private const int CapNetAdmin = 12;

        /// <summary>True when this process may change the host's network (CAP_NET_ADMIN in its effective set, as root has).</summary>
        public static bool CanAdminister()
        {
            try
            {
                string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
                return line != null && ulong.TryParse(line.Substring(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong caps) && (caps & (1UL << CapNetAdmin)) != 0;
            }
            catch (IOException)
            {
                return false;
            }
        }

        /// <summary>Throws NetworkNeedsRoot (PermissionDenied) when this process may not make bridges and taps.</summary>
        public static void RequireAdmin(string what, string target)
        {
            if (!CanAdminister())
            {
                throw new OsvException(ErrorIds.NetworkNeedsRoot, OsvErrorKind.PermissionDenied,
                    $"{what} needs root (CAP_NET_ADMIN): OsvPS makes a Linux bridge, a tap per instance and a dnsmasq on this host. Run PowerShell as root (sudo), or use -Network User with -Forward.", target);
            }
        }

        public static bool InterfaceExists(string name) => Directory.Exists(Path.Combine("/sys/class/net", name));

        /// <summary>The interfaces enslaved to <paramref name="bridge"/>.</summary>
        public static IReadOnlyList<string> BridgePorts(string bridge)
        {
            string folder = Path.Combine("/sys/class/net", bridge, "brif");
            return Directory.Exists(folder) ? Directory.GetDirectories(folder).Select(p => Path.GetFileName(p)!).OrderBy(n => n, StringComparer.Ordinal).ToList() : new List<string>();
        }

        /// <summary>The host's IPv4 routes (the default route left out), from /proc/net/route: the subnets a new network must not overlap.</summary>
        public static IReadOnlyList<Subnet> Routes()
        {
            var routes = new List<Subnet>();
            try
            {
                foreach (string line in File.ReadLines("/proc/net/route").Skip(1))
                {
                    var f = line.Split(new[] { '\t', ' ' }, StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length >= 8 && uint.TryParse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint dest) &&
                        uint.TryParse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint mask) && mask != 0)
                    {
                        // The kernel writes them in network byte order, read here as a little-endian number.
                        uint network = Swap(dest), m = Swap(mask);
                        int prefix = 32 - CountTrailingZeros(m);
                        routes.Add(new Subnet(network & m, prefix));
                    }
                }
            }
            catch (IOException)
            {
            }
            return routes;
        }

        private static uint Swap(uint v) => (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);

        private static int CountTrailingZeros(uint v)
        {
            int n = 0;
            while (n < 32 && (v & (1u << n)) == 0)
            {
                n++;
            }
            return n;
        }

        /// <summary>
        /// Makes the bridge with the gateway address on it and its own fixed MAC address (<see cref="NetworkNames.BridgeMac"/>), up.
        /// Refuses a bridge that exists already (another repository's, or a stranger's).
        /// </summary>
        public static void CreateBridge(string bridge, Subnet subnet, CancellationToken cancellation)
        {
            Ip(cancellation, "link", "add", "name", bridge, "address", NetworkNames.BridgeMac(bridge), "type", "bridge");
            try
            {
                Ip(cancellation, "addr", "add", Subnet.Format(subnet.Gateway) + "/" + subnet.Prefix.ToString(CultureInfo.InvariantCulture), "dev", bridge);
                Ip(cancellation, "link", "set", "dev", bridge, "up");
            }
            catch
            {
                DeleteInterface(bridge, CancellationToken.None);
                throw;
            }
        }

        /// <summary>Deletes an interface when it exists (a bridge takes its ports out; a tap no one holds goes).</summary>
        public static void DeleteInterface(string name, CancellationToken cancellation)
        {
            if (InterfaceExists(name))
            {
                Ip(cancellation, "link", "del", "dev", name);
            }
        }

        /// <summary>Puts a tap (QEMU's, made when QEMU opened it) on the bridge and brings it up.</summary>
        public static void AttachTap(string tap, string bridge, CancellationToken cancellation)
            => Ip(cancellation, "link", "set", "dev", tap, "master", bridge, "up");

        private static void Ip(CancellationToken cancellation, params string[] arguments)
        {
            string ip = HostProcess.Which("ip") ?? throw new OsvException(ErrorIds.NetworkToolMissing, OsvErrorKind.NotInstalled,
                "iproute2's 'ip' was not found on PATH; install it (Debian: apt-get install iproute2).", "ip");
            Run(ip, arguments, cancellation);
        }

        private static void Run(string program, IReadOnlyList<string> arguments, CancellationToken cancellation)
        {
            ProcessRunner.Result result;
            try
            {
                result = ProcessRunner.Run(program, arguments, cancellation, Deadline);
            }
            catch (TimeoutException e)
            {
                throw new OsvException(ErrorIds.NetworkFailed, OsvErrorKind.OperationTimeout,
                    $"'{Path.GetFileName(program)} {string.Join(" ", arguments)}' did not finish within {Deadline.TotalSeconds} s.", arguments.LastOrDefault(), e);
            }
            if (result.ExitCode != 0)
            {
                throw new OsvException(ErrorIds.NetworkFailed, result.Error.Contains("Operation not permitted") ? OsvErrorKind.PermissionDenied : OsvErrorKind.InvalidResult,
                    $"'{Path.GetFileName(program)} {string.Join(" ", arguments)}' failed (exit {result.ExitCode}): {result.Error.Trim()}", arguments.LastOrDefault());
            }
        }

        /// <summary>
        /// Starts a dnsmasq that answers DNS only, on the gateway address only (the bridge's), from the hosts file the
        /// network keeps (no upstream servers, no /etc/hosts, no DHCP), authoritative for every name (an empty answer or
        /// NXDOMAIN, never REFUSED); it writes its pid to <paramref name="pidFile"/>.
        /// </summary>
        public static void StartDns(Subnet subnet, string hostsFile, string pidFile, string logFile, CancellationToken cancellation)
        {
            string dnsmasq = HostProcess.Which("dnsmasq") ?? (File.Exists("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : null) ?? throw new OsvException(ErrorIds.NetworkToolMissing, OsvErrorKind.NotInstalled,
                "dnsmasq was not found (it answers the instances' names on each network); install it (Debian: apt-get install dnsmasq-base).", "dnsmasq");
            var arguments = new List<string>
            {
                "--conf-file=/dev/null",
                "--bind-interfaces",
                "--listen-address=" + Subnet.Format(subnet.Gateway),
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--addn-hosts=" + hostsFile,
                "--pid-file=" + pidFile,
                "--log-facility=" + logFile,
                // Every name is answered here and nowhere else: an instance's name with only an IPv4 address gets an empty
                // answer to AAAA, an unknown name NXDOMAIN. Without it dnsmasq, having no upstream server, REFUSED those, and
                // musl's resolver in OSv ignores a refusal and waits for another answer until its timeout: every lookup a
                // guest made (getaddrinfo asks A and AAAA) could stall for seconds, and some failed.
                "--local=/#/",
            };
            if (HostProcess.UserId == 0)
            {
                // dnsmasq would drop to 'nobody', who cannot read the hosts file in the repository (a private folder).
                arguments.Add("--user=root");
            }
            Run(dnsmasq, arguments, cancellation);
        }

        /// <summary>The pid a network's dnsmasq wrote, when that process still runs with <paramref name="pidFile"/> on its command line.</summary>
        public static int? DnsPid(string pidFile)
        {
            try
            {
                return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && HostProcess.IsAlive(pid, pidFile) ? pid : (int?)null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        /// <summary>dnsmasq reads its hosts files again on SIGHUP.</summary>
        public static void ReloadDns(string pidFile)
        {
            if (DnsPid(pidFile) is int pid)
            {
                Libc.Kill(pid, 1);
            }
        }

        /// <summary>Ends a network's dnsmasq: SIGTERM, then after 5 s SIGKILL.</summary>
        public static void StopDns(string pidFile)
        {
            if (DnsPid(pidFile) is int pid)
            {
                HostProcess.Terminate(pid);
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (DnsPid(pidFile) != null && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(20);
                }
                if (DnsPid(pidFile) != null)
                {
                    HostProcess.KillHard(pid);
                }
            }
            AtomicFile.TryDelete(pidFile);
        }
    }
}
