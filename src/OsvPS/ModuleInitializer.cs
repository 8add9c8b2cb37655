using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OsvPS
{
    /// <summary>
    /// Makes the assemblies in <c>Dependencies/</c> loadable when the module is imported. On
    /// PowerShell 7 they get a load context of their own; on Windows PowerShell an AssemblyResolve
    /// handler serves them (5.1 has a single context, so isolation there is best effort).
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private const string CoreAssembly = "OsvPS.Core";

        private static readonly string DependencyDirectory =
            Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies");

        public void OnImport()
        {
            if (WhyNot(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), RuntimeInformation.OSArchitecture, RuntimeInformation.OSDescription) is string why)
            {
                // Said once, at import, instead of a DllNotFoundException from the first cmdlet.
                throw new PlatformNotSupportedException(why);
            }
            if (Type.GetType("System.Runtime.Loader.AssemblyLoadContext") != null)
            {
                var loader = Assembly.LoadFrom(Path.Combine(DependencyDirectory, "OsvPS.LoadContext.dll"));
                loader.GetType("OsvPS.LoadContext.DependencyLoadContext", throwOnError: true)!
                    .GetMethod("Install", BindingFlags.Public | BindingFlags.Static)!
                    .Invoke(null, new object[] { DependencyDirectory, CoreAssembly });
            }
            else
            {
                AppDomain.CurrentDomain.AssemblyResolve += ResolveFromDependencies;
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

        public void OnRemove(PSModuleInfo module)
        {
            AppDomain.CurrentDomain.AssemblyResolve -= ResolveFromDependencies;
        }

        private static Assembly? ResolveFromDependencies(object? sender, ResolveEventArgs args)
        {
            string candidate = Path.Combine(DependencyDirectory, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
        }
    }
}
