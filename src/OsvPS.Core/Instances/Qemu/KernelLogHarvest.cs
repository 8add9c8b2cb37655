using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>
    /// Ends the QEMU of a guest that has shut down, reading OSv's kernel log first. Such a QEMU runs with -no-shutdown:
    /// when OSv powers off, QEMU pauses in the run state <c>shutdown</c> with the guest's memory intact, the log is
    /// saved from it (<see cref="KernelLogSymbols.Harvest"/>) into <see cref="LogFile"/>, and QEMU is told to quit.
    /// Whoever looks at the instance next does it: a -Wait run at once, a background one at its next Get, Wait or Stop.
    /// </summary>
    internal static class KernelLogHarvest
    {
        /// <summary>The kernel log of the run, in the instance folder.</summary>
        public const string LogFile = "kernel.log";

        private static void Unreadable(string folder, string why)
        {
            try
            {
                AtomicFile.WriteAllText(Path.Combine(folder, LogFile + ".unreadable"), why + "\n");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // Only a note for the reader; the run's end goes on without it.
            }
        }

        // A QEMU is asked at most this often; a follower polls every 20 ms.
        private static readonly TimeSpan LookEvery = TimeSpan.FromMilliseconds(250);
        private static readonly ConcurrentDictionary<string, DateTime> LastLook = new ConcurrentDictionary<string, DateTime>(StringComparer.Ordinal);

        /// <summary>
        /// When the guest of QEMU <paramref name="pid"/> has shut down: saves the kernel log and quits QEMU; true then
        /// (QEMU is ending). False while the guest runs, when the instance has no kernel log to read, or when the monitor
        /// does not answer now (another client holds it). <paramref name="open"/> is a monitor connection the caller holds.
        /// </summary>
        public static bool Settle(string folder, InstanceRecord record, int pid, QmpClient? open = null, bool force = false)
        {
            var symbols = KernelLogSymbols.Parse(record["kernel_log"]);
            string? monitor = record["monitor"];
            if (symbols == null || monitor == null)
            {
                return false;
            }
            if (open == null && !force)
            {
                var now = DateTime.UtcNow;
                if (LastLook.TryGetValue(folder, out var last) && now - last < LookEvery)
                {
                    return false;
                }
                LastLook[folder] = now;
            }
            QmpClient? own = null;
            try
            {
                var qmp = open ?? (own = QmpClient.Connect(monitor, TimeSpan.FromSeconds(1), CancellationToken.None, () => HostProcess.IsAlive(pid, folder)));
                string status = qmp.QueryStatus();
                if (status != "shutdown")
                {
                    return false;
                }
                string log = Path.Combine(folder, LogFile);
                try
                {
                    if (!File.Exists(log) && !symbols.Harvest(qmp, folder, log))
                    {
                        Unreadable(folder, "the guest's memory held no OSv kernel log at the kernel ELF's addresses");
                    }
                }
                catch (Exception e) when (e is OsvException || e is IOException || e is UnauthorizedAccessException)
                {
                    Unreadable(folder, e.Message);
                }
                finally
                {
                    // Whatever the log gave, a guest that has shut down does not keep its QEMU.
                    qmp.Quit();
                }
                return true;
            }
            catch (Exception e) when (e is OsvException || e is IOException || e is System.Net.Sockets.SocketException || e is UnauthorizedAccessException)
            {
                return false;
            }
            finally
            {
                own?.Dispose();
            }
        }
    }
}
