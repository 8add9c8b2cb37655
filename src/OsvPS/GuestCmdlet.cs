using System;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Readiness;
using OsvPS.Core.Models;

namespace OsvPS
{
    /// <summary>
    /// Base of the cmdlets that follow a guest while it runs (Start-OsvInstance, and through InstanceCmdlet
    /// Wait-OsvInstance): its progress, and its failure as the cmdlet's error.
    /// </summary>
    public abstract class GuestCmdlet : OsvCmdlet
    {
        /// <summary>A program that failed inside the guest is a failure outside it (<see cref="InstanceFailure"/>).</summary>
        protected void WriteGuestFailure(OsvInstance instance)
        {
            if (InstanceFailure.Of(instance) is OsvException failure)
            {
                WriteError(new ErrorRecord(failure, failure.ErrorId, ErrorCategory.InvalidResult, instance));
            }
            else if (instance.State == InstanceState.Stopped && instance.ExitCode == null && instance.Reason != null)
            {
                // An end whose status could not be read (a libvirt guest that called exit()): not a failure OsvPS saw, not a success either.
                WriteWarning($"Instance '{instance.Name}': {instance.Reason}.");
            }
        }

        private ProgressPacer? instanceProgress;

        /// <summary>
        /// Progress while an instance runs: booting until its console shows a line, then running; with a
        /// timeout, the share of it used and the seconds left. Nothing when no host can show it.
        /// </summary>
        protected Action<TimeSpan, bool>? InstanceProgress(string activity, string name, TimeSpan? timeout)
        {
            var pacer = new ProgressPacer(this, 3, $"{activity} '{name}'");
            if (!pacer.Enabled)
            {
                return null;
            }
            instanceProgress = pacer;
            bool limited = timeout.HasValue && timeout.Value > TimeSpan.Zero;
            return (elapsed, seen) => pacer.Report(
                seen ? $"running, {elapsed.TotalSeconds:0} s" : $"booting, {elapsed.TotalSeconds:0.0} s",
                limited ? elapsed.TotalMilliseconds / timeout!.Value.TotalMilliseconds : (double?)null,
                secondsLeft: limited ? (timeout!.Value - elapsed).TotalSeconds : (double?)null,
                always: true);
        }

        /// <summary>
        /// Waits until a running instance answers <paramref name="probe"/> and returns it (left running); throws NotReady
        /// (with the console's last lines) when time runs out first or the instance ends, which it sees at once.
        /// </summary>
        protected OsvInstance WaitUntilReady(IInstanceEngine engine, IRunningInstance running, ReadinessProbe probe, TimeSpan? timeout)
        {
            var outcome = ReadinessCheck.Wait(engine, running, probe, timeout,
                InstanceProgress("Waiting for readiness of", running.Name, timeout ?? ReadinessCheck.DefaultTimeout), CancellationToken);
            CompleteInstanceProgress();
            if (outcome.Error != null)
            {
                throw outcome.Error;
            }
            WriteVerbose($"Instance '{running.Name}' is ready after {outcome.Elapsed.TotalSeconds:0.0} s: {probe} ({outcome.Detail}).");
            return outcome.Instance;
        }

        /// <summary>Ends the progress <see cref="InstanceProgress"/> showed.</summary>
        protected void CompleteInstanceProgress() => instanceProgress?.Complete("ended");
    }
}
