using System.Globalization;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances
{
    /// <summary>How an instance ended: the same rules for every engine.</summary>
    internal sealed class InstanceOutcome
    {
        private InstanceOutcome(InstanceState state, int? exitCode, string? reason, string? failureId)
        {
            State = state;
            ExitCode = exitCode;
            Reason = reason;
            FailureId = failureId;
        }

        public InstanceState State { get; }
        /// <summary>The guest program's exit status, when it is known.</summary>
        public int? ExitCode { get; }
        public string? Reason { get; }
        public string? FailureId { get; }

        public static readonly InstanceOutcome Running = new InstanceOutcome(InstanceState.Running, null, null, null);

        /// <summary>An outcome decided before and kept.</summary>
        public static InstanceOutcome Kept(InstanceState state, int? exitCode, string? reason, string? failureId)
            => new InstanceOutcome(state, exitCode, reason, failureId);

        /// <summary>
        /// Decides how an ended instance ended, in this order: QEMU could not start (Failed, QemuFailed);
        /// OSv printed a failure (Failed, with its id); QEMU ended without the guest powering off and no
        /// one asked it to (Crashed, QemuCrashed); a program returned or exited non-zero (Failed,
        /// GuestProgramFailed); otherwise Stopped, with the status 0 when the guest reports statuses and
        /// ended by itself.
        /// </summary>
        /// <param name="startFailure">QEMU's own message when it never started the guest.</param>
        /// <param name="hypervisorEnd">Why the hypervisor ended without the guest powering off (a signal, a status), or null when it ended cleanly or that is unknown.</param>
        /// <param name="stopRequested">True when the instance was stopped on request (Stop-OsvInstance, a timeout, a failure line).</param>
        /// <param name="console">What the console said.</param>
        /// <param name="reportsStatus">True when the guest ran with --verbose, so that a clean end without a status line means 0.</param>
        public static InstanceOutcome Ended(string? startFailure, string? hypervisorEnd, bool stopRequested, GuestConsoleReport console, bool reportsStatus)
        {
            if (startFailure != null)
            {
                return new InstanceOutcome(InstanceState.Failed, null, startFailure, ErrorIds.QemuFailed);
            }
            if (console.Failure != null)
            {
                return new InstanceOutcome(InstanceState.Failed, NonZero(console.Status), console.Failure.Reason, console.Failure.ErrorId);
            }
            if (hypervisorEnd != null && !stopRequested)
            {
                return new InstanceOutcome(InstanceState.Crashed, null, hypervisorEnd, ErrorIds.QemuCrashed);
            }
            if (console.Status is int status && status != 0)
            {
                return new InstanceOutcome(InstanceState.Failed, status, console.StatusLine, ErrorIds.GuestProgramFailed);
            }
            int? code = console.Status ?? (reportsStatus && !stopRequested ? 0 : (int?)null);
            return new InstanceOutcome(InstanceState.Stopped, code, null, null);
        }

        /// <summary>
        /// Decides how a run ended from OSv's kernel log, which the guest program cannot write: no orderly power-off
        /// means OSv failed (the console's failure line, OSv's own, says how; else the log's last line); else the last
        /// exit status OSv logged (0 when none: main returned 0), unless the instance was stopped on request.
        /// </summary>
        public static InstanceOutcome FromKernelLog(KernelLogReport log, bool stopRequested, GuestConsoleReport console)
        {
            if (!log.Orderly && !stopRequested)
            {
                return console.Failure != null
                    ? new InstanceOutcome(InstanceState.Failed, NonZero(log.Status), console.Failure.Reason, console.Failure.ErrorId)
                    : new InstanceOutcome(InstanceState.Failed, NonZero(log.Status), "OSv stopped without powering off in order; its kernel log ends: " + log.LastLine, ErrorIds.GuestAborted);
            }
            if (log.Status is int status && status != 0)
            {
                return new InstanceOutcome(InstanceState.Failed, status, log.StatusLine, ErrorIds.GuestProgramFailed);
            }
            return new InstanceOutcome(InstanceState.Stopped, stopRequested ? log.Status : log.Status ?? 0, null, null);
        }

        /// <summary>
        /// How a guest kept up by --noshutdown ended when it powered off by itself before its kernel log was read: its
        /// program called exit() (OSv logs the status only to the kernel log, which went with the guest's memory), or
        /// OSv failed and powered off (--power-off-on-abort). OSv's failure lines on the console then name how (a program
        /// could print one too, but only about its own end); without one the status is not known, and Reason says so.
        /// </summary>
        public static InstanceOutcome PoweredOffUnread(string? hypervisorEnd, bool stopRequested, GuestConsoleReport console)
        {
            if (stopRequested)
            {
                return new InstanceOutcome(InstanceState.Stopped, null, null, null);
            }
            if (hypervisorEnd != null)
            {
                return new InstanceOutcome(InstanceState.Crashed, null, hypervisorEnd, ErrorIds.QemuCrashed);
            }
            if (console.Failure != null)
            {
                return new InstanceOutcome(InstanceState.Failed, null, console.Failure.Reason, console.Failure.ErrorId);
            }
            return new InstanceOutcome(InstanceState.Stopped, null, UnknownExitStatus, null);
        }

        /// <summary>
        /// A guest whose kernel stopped without powering off (<see cref="KernelStop"/>), ended by OsvPS: Failed, named by
        /// OSv's failure line on the console when there is one (the CPUs' state confirms OSv printed it), else by
        /// <paramref name="why"/> (GuestKernelStopped).
        /// </summary>
        public static InstanceOutcome KernelStopped(string why, GuestConsoleReport console)
            => console.Failure != null
                ? new InstanceOutcome(InstanceState.Failed, null, console.Failure.Reason, console.Failure.ErrorId)
                : new InstanceOutcome(InstanceState.Failed, null, why, ErrorIds.GuestKernelStopped);

        /// <summary>The Reason of an instance whose program ended by exit() where the status cannot be read.</summary>
        public const string UnknownExitStatus =
            "the program ended by calling exit(), which powers OSv off at once; libvirt discards a powered-off guest's memory, and OSv's kernel log with the status in it, so the exit status is not known (run it on this machine, without -Connection, to know it)";

        private static int? NonZero(int? status) => status == 0 ? null : status;

        /// <summary>
        /// What a process's exit status says when it is not a clean end, in the shell's encoding
        /// (128 + N for a signal): null for 0.
        /// </summary>
        public static string? DescribeHypervisorExit(string program, int status, string? log)
        {
            if (status == 0)
            {
                return null;
            }
            string tail = string.IsNullOrWhiteSpace(log) ? "" : ": " + log!.Trim();
            if (status > 128 && status < 128 + 65)
            {
                int signal = status - 128;
                return string.Format(CultureInfo.InvariantCulture, "{0} was killed by signal {1}{2}{3}", program, signal, SignalName(signal), tail);
            }
            return string.Format(CultureInfo.InvariantCulture, "{0} exited with status {1}{2}", program, status, tail);
        }

        private static string SignalName(int signal) => signal switch
        {
            6 => " (SIGABRT)",
            9 => " (SIGKILL)",
            11 => " (SIGSEGV)",
            15 => " (SIGTERM)",
            _ => "",
        };
    }
}
