namespace OsvPS.Core.Errors
{
    /// <summary>
    /// What kind of failure an <see cref="OsvException"/> is. The names match PowerShell's
    /// ErrorCategory members so the cmdlet layer can map them without a table.
    /// </summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum OsvErrorKind
    {
        NotSpecified,
        InvalidArgument,
        InvalidData,
        InvalidOperation,
        ObjectNotFound,
        ResourceExists,
        ResourceUnavailable,
        NotInstalled,
        ParserError,
        ReadError,
        WriteError,
        PermissionDenied,
        OperationStopped,
        OperationTimeout,
        LimitsExceeded,
        ConnectionError,
        NotImplemented,
        InvalidResult,
        SecurityError,
    }
}
