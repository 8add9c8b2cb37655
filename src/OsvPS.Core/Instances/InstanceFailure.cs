using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances
{
    /// <summary>A program that failed inside the guest is a failure outside it: the error an ended instance is.</summary>
    public static class InstanceFailure
    {
        /// <summary>
        /// The error of a Failed or Crashed instance (QEMU killed or crashed), with the failure's own id
        /// (GuestProgramFailed, GuestProgramNotFound, QemuCrashed, ...) and the instance as target; null for any
        /// other state.
        /// </summary>
        public static OsvException? Of(OsvInstance instance)
        {
            if (instance.State != InstanceState.Failed && instance.State != InstanceState.Crashed)
            {
                return null;
            }
            var id = ErrorIds.Named(instance.FailureId) ?? ErrorIds.GuestFailed;
            bool didNotStart = id == ErrorIds.QemuFailed;
            string what = instance.State == InstanceState.Crashed ? "crashed" : didNotStart ? "did not start" : "failed";
            string subject = instance.State == InstanceState.Failed && !didNotStart ? $"the program in instance '{instance.Name}'" : $"instance '{instance.Name}'";
            return new OsvException(id, OsvErrorKind.InvalidResult, $"{subject} {what}: {instance.Reason}", instance);
        }
    }
}
