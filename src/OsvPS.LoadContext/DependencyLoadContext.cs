using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace OsvPS.LoadContext
{
    /// <summary>
    /// Loads OsvPS.Core and its third-party assemblies (YamlDotNet, System.Text.Json) in a load context of
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
            if (!File.Exists(candidate) || RuntimeServes(assemblyName))
            {
                return null;
            }
            return LoadFromAssemblyPath(candidate);
        }

        // Dependencies/ also holds what the .NET Standard build needs on Windows PowerShell (System.Memory,
        // System.Text.Json, ...). Where the runtime has its own copy at least as new, that one serves: a
        // second System.Memory would bring a second Span<T>.
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
