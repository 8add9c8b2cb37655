using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>
    /// Ends the QEMU of a guest whose OSv kernel stopped without powering off (<see cref="KernelStop"/>): the reason goes
    /// into the instance's record (<c>kernel_stopped</c>), then QEMU is told to quit, so the instance is Failed, not Running.
    /// Whoever looks at a running instance does it (Get, Wait, Stop, a -Wait run), at most once a second.
    /// </summary>
    internal static class KernelStopWatch
    {
        /// <summary>True when the kernel had stopped and QEMU was told to quit; false while it runs, or when the monitor does not answer now.</summary>
        public static bool EndIfStopped(string folder, InstanceRecord record, int pid)
        {
            string? monitor = record["monitor"];
            if (monitor == null || !KernelStop.Booted(Path.Combine(folder, QemuLauncher.ConsoleFile)) || !KernelStop.Due(folder))
            {
                return false;
            }
            try
            {
                using (var qmp = QmpClient.Connect(monitor, TimeSpan.FromSeconds(1), CancellationToken.None, () => HostProcess.IsAlive(pid, folder)))
                {
                    string? why = KernelStop.Check(() => Registers(qmp), CancellationToken.None);
                    if (why == null)
                    {
                        return false;
                    }
                    record["kernel_stopped"] = why;
                    record["outcome"] = null;
                    record.Save(folder);
                    qmp.Quit();
                    return true;
                }
            }
            catch (Exception e) when (e is OsvException || e is IOException || e is System.Net.Sockets.SocketException || e is UnauthorizedAccessException)
            {
                return false; // another client holds the monitor, or QEMU is ending
            }
        }

        // The CPUs' registers while the guest runs; null once it is not running (paused in the shutdown state after a
        // power-off, whose CPUs keep the interrupts ACPI's sleep path turned off: KernelLogHarvest's case, not a stop).
        private static string? Registers(QmpClient qmp)
        {
            try
            {
                if (qmp.QueryStatus() != "running")
                {
                    return null;
                }
                var reply = qmp.Execute("human-monitor-command", new System.Collections.Generic.Dictionary<string, object> { ["command-line"] = "info registers -a" });
                return reply.ValueKind == System.Text.Json.JsonValueKind.String ? reply.GetString() : null;
            }
            catch (Exception e) when (e is OsvException || e is IOException)
            {
                return null;
            }
        }
    }
}
