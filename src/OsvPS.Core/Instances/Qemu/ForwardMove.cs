using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>
    /// Moves port forwards between two running QEMUs of this machine through their monitors: HMP's <c>hostfwd_remove</c>
    /// closes the host listener of one (connections it accepted go on), <c>hostfwd_add</c> opens the same one on the
    /// other, back to back on monitors already open, so the port has no listener for the time of one monitor command.
    /// </summary>
    internal static class ForwardMove
    {
        public static IReadOnlyList<TimeSpan> Move(QemuInstanceStore store, string from, string to, IReadOnlyList<PortForward> forwards, IReadOnlyList<PortForward> temporary)
        {
            if (forwards.Count == 0)
            {
                return new TimeSpan[0];
            }
            string fromFolder = store.Folder(from), toFolder = store.Folder(to);
            var fromRecord = InstanceRecord.Load(fromFolder);
            var toRecord = InstanceRecord.Load(toFolder);
            var (fromNet, _) = UserNetwork(fromRecord, from);
            var (toNet, toGuest) = UserNetwork(toRecord, to);
            using (var source = Monitor(store, from, fromFolder, fromRecord))
            using (var target = Monitor(store, to, toFolder, toRecord))
            {
                var gaps = new List<TimeSpan>();
                var moved = new List<PortForward>();
                foreach (var forward in forwards)
                {
                    var stand = temporary.FirstOrDefault(t => t.Protocol == forward.Protocol && t.GuestPort == forward.GuestPort);
                    if (stand != null)
                    {
                        Hmp(target, "hostfwd_remove " + toNet + " " + Listener(stand), to);
                    }
                    var clock = Stopwatch.StartNew();
                    Hmp(source, "hostfwd_remove " + fromNet + " " + Listener(forward), from);
                    try
                    {
                        Hmp(target, "hostfwd_add " + toNet + " " + Rule(forward, toGuest), to);
                    }
                    catch (OsvException)
                    {
                        // Given back as it was: the old instance serves on, with every forward it had.
                        foreach (var back in moved.Concat(new[] { forward }))
                        {
                            if (!ReferenceEquals(back, forward))
                            {
                                TryHmp(target, "hostfwd_remove " + toNet + " " + Listener(back));
                            }
                            TryHmp(source, "hostfwd_add " + fromNet + " " + Rule(back, UserNetwork(fromRecord, from).Guest));
                        }
                        throw;
                    }
                    gaps.Add(clock.Elapsed);
                    moved.Add(forward);
                }
                var left = ParseForwards(fromRecord["forwards"]).Where(f => !forwards.Any(m => Same(m, f))).ToList();
                fromRecord["forwards"] = string.Join(",", left.Select(f => f.ToString()));
                fromRecord.Save(fromFolder);
                var now = ParseForwards(toRecord["forwards"]).Where(f => !temporary.Any(t => Same(t, f))).Concat(forwards).ToList();
                toRecord["forwards"] = string.Join(",", now.Select(f => f.ToString()));
                toRecord.Save(toFolder);
                return gaps;
            }
        }

        private static bool Same(PortForward a, PortForward b) => a.ToString() == b.ToString();

        private static List<PortForward> ParseForwards(string? text)
            => string.IsNullOrEmpty(text) ? new List<PortForward>() : text!.Split(',').Select(PortForward.Parse).ToList();

        // hostfwd_remove's form: [tcp|udp]:[hostaddr]:hostport.
        private static string Listener(PortForward f) => string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}", f.Protocol, f.HostAddress, f.HostPort);

        // hostfwd_add's form: [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport.
        private static string Rule(PortForward f, string guest) => f.ToHostForward(guest);

        /// <summary>
        /// The id of the instance's QEMU user network that holds its forwards (<c>un0</c> for user networking, <c>fw0</c>
        /// beside a named network's tap), and the guest address its rules forward to (empty: QEMU's first DHCP address),
        /// read from the QEMU command line OsvPS gave it.
        /// </summary>
        internal static (string NetDev, string Guest) UserNetwork(InstanceRecord record, string name)
        {
            var arguments = record["qemu_command"] is string q ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(q)).Split('\0') : new string[0];
            for (int i = 0; i + 1 < arguments.Length; i++)
            {
                if (arguments[i] == "-netdev" && arguments[i + 1].StartsWith("user,", StringComparison.Ordinal))
                {
                    var parts = arguments[i + 1].Split(',');
                    string? id = parts.FirstOrDefault(p => p.StartsWith("id=", StringComparison.Ordinal))?.Substring(3);
                    string? rule = parts.FirstOrDefault(p => p.StartsWith("hostfwd=", StringComparison.Ordinal));
                    int dash = rule?.LastIndexOf('-') ?? -1, colon = rule?.LastIndexOf(':') ?? -1;
                    string guest = rule != null && dash > 0 && colon > dash ? rule.Substring(dash + 1, colon - dash - 1) : "";
                    if (id != null)
                    {
                        return (id, guest);
                    }
                }
            }
            throw new OsvException(ErrorIds.ForwardMoveFailed, OsvErrorKind.InvalidOperation,
                $"instance '{name}' has no QEMU user network to hold forwards (it runs with -Network None, Bridge or Tap).", name);
        }

        private static QmpClient Monitor(QemuInstanceStore store, string name, string folder, InstanceRecord record)
        {
            string? monitor = record["monitor"];
            if (monitor == null || !(store.RunningPid(folder, record) is int pid))
            {
                throw new OsvException(ErrorIds.InstanceNotRunning, OsvErrorKind.InvalidOperation, $"instance '{name}' is not running: its forwards cannot move.", name);
            }
            return QmpClient.Connect(monitor, TimeSpan.FromSeconds(5), CancellationToken.None, () => HostProcess.IsAlive(pid, folder));
        }

        // HMP (QEMU 7.2, net/slirp.c) answers a hostfwd_add that worked with no text and a hostfwd_remove that worked with
        // "host forwarding rule for ... removed"; anything else is its complaint.
        private static void Hmp(QmpClient qmp, string command, string name)
        {
            var reply = qmp.Execute("human-monitor-command", new Dictionary<string, object> { ["command-line"] = command });
            string text = reply.ValueKind == System.Text.Json.JsonValueKind.String ? reply.GetString() ?? "" : "";
            bool worked = command.StartsWith("hostfwd_remove ", StringComparison.Ordinal)
                ? text.StartsWith("host forwarding rule for ", StringComparison.Ordinal) && text.TrimEnd().EndsWith(" removed", StringComparison.Ordinal)
                : text.Trim().Length == 0;
            if (!worked)
            {
                throw new OsvException(ErrorIds.ForwardMoveFailed, OsvErrorKind.InvalidOperation,
                    $"instance '{name}': QEMU refused '{command}': {TextSafety.Printable(text.Trim())}", name);
            }
        }

        private static void TryHmp(QmpClient qmp, string command)
        {
            try
            {
                qmp.Execute("human-monitor-command", new Dictionary<string, object> { ["command-line"] = command });
            }
            catch (Exception e) when (e is OsvException || e is IOException)
            {
                // Best effort while giving a forward back; the error that started it is the one reported.
            }
        }
    }
}
