using System;
using System.Collections.Generic;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS
{
    /// <summary>What the cmdlets that carry programs (Add-OsvBinary, Add-OsvDebianPackage) say of Test-OsvBinary's verdicts.</summary>
    internal static class VerdictWarnings
    {
        /// <summary>
        /// One warning per report whose program will not start (or may stop) the way <paramref name="wayOf"/> says it is
        /// added; a report that could not be made is said with -Verbose only.
        /// </summary>
        public static void Write(Cmdlet cmdlet, IReadOnlyList<ItemResult<OsvBinaryCompatibility>> reports, Func<int, OsvRunWay> wayOf, string? linuxLinkerAdvice = null)
        {
            for (int i = 0; i < reports.Count; i++)
            {
                if (reports[i].Error is OsvException e)
                {
                    cmdlet.WriteVerbose($"Could not check '{reports[i].Item}' against the kernel: {e.Message}");
                }
                else if (reports[i].Value!.WarningFor(wayOf(i), linuxLinkerAdvice) is string warning)
                {
                    cmdlet.WriteWarning(warning);
                }
            }
        }
    }
}
