using System;
using System.IO;
using System.Management.Automation;
using OsvPS.Core.Errors;

namespace OsvPS
{
    /// <summary>Turns core exceptions into ErrorRecords with stable ids, a real category and the failing item as target.</summary>
    internal static class ErrorMap
    {
        public static ErrorRecord ToErrorRecord(Exception exception, object? fallbackTarget)
        {
            switch (exception)
            {
                case OsvException osv:
                    return new ErrorRecord(osv, osv.ErrorId, ToCategory(osv.Kind), osv.Target ?? fallbackTarget);
                case OperationCanceledException _:
                    return new ErrorRecord(exception, ErrorIds.OperationStopped, ErrorCategory.OperationStopped, fallbackTarget);
                case UnauthorizedAccessException _:
                    return new ErrorRecord(exception, ErrorIds.AccessDenied, ErrorCategory.PermissionDenied, fallbackTarget);
                case FileNotFoundException _:
                case DirectoryNotFoundException _:
                    return new ErrorRecord(exception, ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, fallbackTarget);
                case IOException _:
                    return new ErrorRecord(exception, ErrorIds.IOError, ErrorCategory.WriteError, fallbackTarget);
                case ArgumentException _:
                    return new ErrorRecord(exception, ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, fallbackTarget);
                default:
                    return new ErrorRecord(exception, ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, fallbackTarget);
            }
        }

        public static ErrorCategory ToCategory(OsvErrorKind kind)
            => Enum.TryParse(kind.ToString(), out ErrorCategory category) ? category : ErrorCategory.NotSpecified;
    }
}
