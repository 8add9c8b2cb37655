using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace OsvPS.LoadContext
{
    /// <summary>
    /// Loads the cmdlets (OsvPS.dll), OsvPS.Core and its third-party assemblies (YamlDotNet, System.Text.Json)
    /// in a load context of their own, so another module's copy of the same library, in any version, cannot
    /// clash with ours. PowerShell's own assemblies come from the default context.
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

        /// <summary>
        /// Loads the cmdlet assembly <paramref name="modulePath"/> into OsvPS's own load context and returns it, for
        /// <c>Import-Module -Assembly</c>. The cmdlets, the core and the libraries they use then all live in one
        /// context: a parameter typed with a core enum binds, and another module's YamlDotNet cannot clash with
        /// ours. A second import in the same process gets the same assembly.
        /// </summary>
        public static Assembly Initialize(string modulePath)
        {
            lock (Gate)
            {
                string dependencies = Path.Combine(Path.GetDirectoryName(modulePath)!, "Dependencies");
                if (installed != null && !string.Equals(installed.directory, dependencies, StringComparison.Ordinal))
                {
                    // A load context cannot be unloaded: the cmdlets this session has are the first copy's, and a second
                    // copy's would clash with them. Said plainly instead of running the old code under the new path.
                    throw new InvalidOperationException(
                        $"OsvPS from '{Path.GetDirectoryName(installed.directory)}' is already loaded in this PowerShell session; start a new session to load the one at '{Path.GetDirectoryName(modulePath)}'.");
                }
                installed ??= new DependencyLoadContext(dependencies);
                string name = Path.GetFileNameWithoutExtension(modulePath);
                foreach (Assembly loaded in installed.Assemblies)
                {
                    if (string.Equals(loaded.GetName().Name, name, StringComparison.Ordinal))
                    {
                        return loaded;
                    }
                }
                return installed.LoadFromAssemblyPath(modulePath);
            }
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
            if (!File.Exists(candidate) || RuntimeServes(assemblyName))
            {
                return null;
            }
            return LoadFromAssemblyPath(candidate);
        }

        // Dependencies/ may hold a library the runtime also has (System.Text.Json): where the runtime's copy
        // is at least as new, that one serves, so types such as JsonElement stay one type in the process.
        private static bool RuntimeServes(AssemblyName name)
        {
            if (name.Name == null || !Platform.Value.TryGetValue(name.Name, out string? path))
            {
                return false;
            }
            try
            {
                return AssemblyName.GetAssemblyName(path).Version >= (name.Version ?? new Version(0, 0));
            }
            catch (Exception e) when (e is IOException || e is BadImageFormatException)
            {
                return false;
            }
        }

        private static readonly Lazy<Dictionary<string, string>> Platform = new Lazy<Dictionary<string, string>>(() =>
        {
            var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string list = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
            foreach (string path in list.Split(Path.PathSeparator))
            {
                if (path.Length > 0)
                {
                    byName[Path.GetFileNameWithoutExtension(path)] = path;
                }
            }
            return byName;
        });
    }
}
