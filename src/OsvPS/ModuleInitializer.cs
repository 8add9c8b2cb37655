using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

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
