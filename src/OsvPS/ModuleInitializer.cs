using System;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace OsvPS
{
    /// <summary>
    /// Checks the host when the module is imported. (OsvPS.psm1 has already loaded this assembly, the core and
    /// their libraries into OsvPS's own load context; see OsvPS.LoadContext.)
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        public void OnImport()
        {
            if (WhyNot(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), RuntimeInformation.OSArchitecture, RuntimeInformation.OSDescription) is string why)
            {
                // Said once, at import, instead of a DllNotFoundException from the first cmdlet.
                throw new PlatformNotSupportedException(why);
            }
        }

        /// <summary>
        /// Why OsvPS cannot run on a host, or null when it can: Linux on x86-64 is the only host it is tested
        /// on. (Here, not in the core, which is loaded only after this check, in its own load context.)
        /// </summary>
        public static string? WhyNot(bool isLinux, Architecture architecture, string description)
        {
            if (isLinux && architecture == Architecture.X64)
            {
                return null;
            }
            return $"OsvPS runs on Linux x86-64 with PowerShell 7 (tested on Debian 12); this is {description} ({architecture}). " +
                "Its core calls Linux's C library (files, links, processes, sockets) and runs QEMU for x86-64 guests, so none of its cmdlets work here yet.";
        }

    }
}
