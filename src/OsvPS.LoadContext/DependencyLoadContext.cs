using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace OsvPS.LoadContext
{
    /// <summary>
    /// Loads OsvPS.Core and its third-party assemblies (YamlDotNet, ELFSharp) in a load context of
    /// their own, so another module's copy of the same library, in any version, cannot clash with ours.
    /// </summary>
    public sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private static readonly object Gate = new object();
        private static DependencyLoadContext? installed;
        private readonly string directory;

        private DependencyLoadContext(string directory)
            : base("OsvPS.Dependencies", isCollectible: false)
        {
            this.directory = directory;
        }

        /// <summary>Hooks the default context so that the cmdlets' reference to <paramref name="entryAssembly"/> lands here.</summary>
        public static void Install(string directory, string entryAssembly)
        {
            lock (Gate)
            {
                if (installed != null)
                {
                    return;
                }
                installed = new DependencyLoadContext(directory);
                Default.Resolving += (_, name) =>
                    string.Equals(name.Name, entryAssembly, StringComparison.Ordinal) ? installed.LoadFromAssemblyName(name) : null;
            }
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
