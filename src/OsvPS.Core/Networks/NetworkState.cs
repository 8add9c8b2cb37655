using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Networks
{
    /// <summary>
    /// What a network keeps in <c>$CAPSTAN_ROOT/networks/NAME/</c>: <c>network.state</c> (name, subnet, bridge, creation
    /// time: <c>key=value</c> lines), <c>hosts</c> (the addresses held by instances, <c>ADDRESS NAME</c> a line: dnsmasq
    /// reads it as a hosts file), and dnsmasq's pid file and log. Every file is written to a temporary and renamed.
    /// </summary>
    internal sealed class NetworkState
    {
        public const string StateFile = "network.state";
        public const string HostsFile = "hosts";
        public const string DnsPidFile = "dnsmasq.pid";
        public const string DnsLogFile = "dnsmasq.log";
        private const string LockFile = ".lock";

        /// <summary>Names that resolve to another instance's address (a replaced instance's name, Update-OsvInstance): lines "alias instance".</summary>
        public const string AliasesFile = "aliases";

        public string AliasesPath => Path.Combine(Folder, AliasesFile);

        /// <summary>The names that stand for an instance: alias and the instance it resolves to.</summary>
        public IReadOnlyList<(string Alias, string Instance)> Aliases()
            => File.Exists(AliasesPath)
                ? File.ReadAllLines(AliasesPath).Select(l => l.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
                    .Where(f => f.Length == 2 && f[0].Length > 0 && f[0][0] != '#').Select(f => (f[0], f[1])).ToList()
                : new List<(string, string)>();

        public void SaveAliases(IEnumerable<(string Alias, string Instance)> aliases)
        {
            var text = new StringBuilder("# Written by OsvPS: names that resolve to another instance's address (alias instance).\n");
            foreach (var (alias, instance) in aliases)
            {
                text.Append(alias).Append(' ').Append(instance).Append('\n');
            }
            AtomicFile.WriteAllText(AliasesPath, text.ToString());
        }

        public NetworkState(string folder, string name, Subnet subnet, string bridge, DateTime? created)
        {
            Folder = folder;
            Name = name;
            Subnet = subnet;
            Bridge = bridge;
            Created = created;
        }

        public string Folder { get; }
        public string Name { get; }
        public Subnet Subnet { get; }
        public string Bridge { get; }
        public DateTime? Created { get; }
        public string HostsPath => Path.Combine(Folder, HostsFile);
        public string DnsPidPath => Path.Combine(Folder, DnsPidFile);
        public string DnsLogPath => Path.Combine(Folder, DnsLogFile);

        public static string FolderOf(string root, string name) => Path.Combine(root, "networks", name);

        public void Save()
        {
            AtomicFile.WriteAllText(Path.Combine(Folder, StateFile),
                $"name={Name}\nsubnet={Subnet}\nbridge={Bridge}\ncreated={(Created ?? DateTime.UtcNow).ToUniversalTime().ToString("o", CultureInfo.InvariantCulture)}\n");
        }

        /// <summary>Reads a network's state; null when the folder holds none.</summary>
        public static NetworkState? Load(string folder)
        {
            string path = Path.Combine(folder, StateFile);
            if (!File.Exists(path))
            {
                return null;
            }
            var values = File.ReadAllLines(path).Select(l => l.Split(new[] { '=' }, 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
            string name = values.TryGetValue("name", out var n) ? n : "";
            string bridge = values.TryGetValue("bridge", out var b) ? b : "";
            if (!NetworkNames.IsValid(name) || bridge != NetworkNames.Bridge(name) || !values.TryGetValue("subnet", out var subnetText))
            {
                throw Damaged(path, name);
            }
            Subnet subnet;
            try
            {
                subnet = Subnet.Parse(subnetText);
            }
            catch (OsvException e)
            {
                throw Damaged(path, name, e);
            }
            DateTime? created = values.TryGetValue("created", out var c) && DateTime.TryParse(c, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : (DateTime?)null;
            return new NetworkState(folder, name, subnet, bridge, created);
        }

        private static OsvException Damaged(string path, string name, Exception? inner = null)
            => new OsvException(ErrorIds.NetworkStateInvalid, OsvErrorKind.InvalidData,
                $"the state of network '{name}' ({path}) is damaged; remove its folder and create it again with New-OsvNetwork.", name, inner);

        /// <summary>
        /// How the hosts file writes the lease of an instance whose name was handed on (a rolling replace): a comment to
        /// dnsmasq, so that its name resolves to the replacement alone while it drains, and a lease to OsvPS.
        /// </summary>
        internal const string HeldPrefix = "# held ";

        /// <summary>The addresses held, in address order: instance name and address.</summary>
        public IReadOnlyList<(string Instance, uint Address)> Leases()
        {
            var leases = new List<(string, uint)>();
            if (File.Exists(HostsPath))
            {
                foreach (string raw in File.ReadAllLines(HostsPath))
                {
                    string line = raw.StartsWith(HeldPrefix, StringComparison.Ordinal) ? raw.Substring(HeldPrefix.Length) : raw;
                    var f = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length >= 2 && Subnet.ParseAddress(f[0]) is uint address && Subnet.Contains(address))
                    {
                        leases.Add((f[1], address));
                    }
                }
            }
            return leases.OrderBy(l => l.Item2).ToList();
        }

        public void SaveLeases(IEnumerable<(string Instance, uint Address)> leases)
        {
            var text = new StringBuilder("# Written by OsvPS: the addresses of the instances on this network (dnsmasq --addn-hosts), with their aliases.\n");
            var held = leases.ToList();
            // An alias stands for an instance that holds an address. It takes the name from the instance that handed it on
            // (still running while it drains): that one keeps its address, written where dnsmasq does not read it.
            var aliases = Aliases().Where(a => held.Any(l => l.Instance == a.Instance)).ToList();
            foreach (var (instance, address) in held.OrderBy(l => l.Address))
            {
                if (aliases.Any(a => a.Alias == instance))
                {
                    text.Append(HeldPrefix).Append(Subnet.Format(address)).Append(' ').Append(instance).Append('\n');
                    continue;
                }
                text.Append(Subnet.Format(address)).Append(' ').Append(instance);
                foreach (var (alias, _) in aliases.Where(a => a.Instance == instance))
                {
                    text.Append(' ').Append(alias);
                }
                text.Append('\n');
            }
            AtomicFile.WriteAllText(HostsPath, text.ToString());
        }

        /// <summary>Holds the network's lock (one change of its leases at a time, across processes), waiting up to 10 s.</summary>
        public IDisposable Lock()
        {
            string path = Path.Combine(Folder, LockFile);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(20);
                }
                catch (IOException e)
                {
                    throw new OsvException(ErrorIds.NetworkFailed, OsvErrorKind.ResourceUnavailable, $"network '{Name}' stayed locked by another process for 10 s.", Name, e);
                }
            }
        }
    }
}
