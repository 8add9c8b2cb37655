using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mono.Cecil;
using OsvPS.Core.Errors;
using Xunit;

namespace OsvPS.Core.Tests.Architecture
{
    /// <summary>
    /// The core shows the cmdlets only what they use: a public type of OsvPS.Core is named by the
    /// compiled cmdlet assembly, or by the public signature of a type that is, or is on the short list
    /// below with the reason it must stay public. Everything else is internal (these tests see
    /// internals through InternalsVisibleTo).
    /// </summary>
    public sealed class PublicSurfaceTests
    {
        private static readonly Dictionary<string, string> Reasons = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OsvPS.Core.IO.AtomicFile"] = "bench/Write-Layer.ps1 measures it from PowerShell",
            ["OsvPS.Core.IO.ContainedFolder"] = "bench/Write-Layer.ps1 measures it from PowerShell",
        };

        private static ModuleDefinition Core() => ModuleDefinition.ReadModule(typeof(ErrorIds).Assembly.Location);

        private static ModuleDefinition Cmdlets()
        {
            string path = Path.Combine(AppContext.BaseDirectory, "OsvPS.dll");
            Assert.True(File.Exists(path), "the cmdlet assembly was not copied beside the tests: " + path);
            return ModuleDefinition.ReadModule(path);
        }

        private static string Outer(TypeReference type)
        {
            while (type is TypeSpecification spec) type = spec.ElementType;
            while (type.DeclaringType != null) type = type.DeclaringType;
            return type.FullName;
        }

        private static IEnumerable<string> Names(TypeReference type)
        {
            yield return Outer(type);
            if (type is GenericInstanceType generic)
            {
                foreach (var name in generic.GenericArguments.SelectMany(Names)) yield return name;
            }
            if (type is TypeSpecification spec)
            {
                foreach (var name in Names(spec.ElementType)) yield return name;
            }
        }

        /// <summary>The types a type shows to callers outside the assembly: its bases and its public or protected members' types.</summary>
        private static IEnumerable<string> Shown(TypeDefinition type)
        {
            if (type.BaseType != null) foreach (var n in Names(type.BaseType)) yield return n;
            foreach (var i in type.Interfaces) foreach (var n in Names(i.InterfaceType)) yield return n;
            foreach (var f in type.Fields.Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly))
                foreach (var n in Names(f.FieldType)) yield return n;
            foreach (var m in type.Methods.Where(m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly))
            {
                foreach (var n in Names(m.ReturnType)) yield return n;
                foreach (var p in m.Parameters) foreach (var n in Names(p.ParameterType)) yield return n;
            }
            foreach (var nested in type.NestedTypes.Where(t => t.IsNestedPublic || t.IsNestedFamily))
                foreach (var n in Shown(nested)) yield return n;
        }

        [Fact]
        public void EveryPublicCoreTypeIsUsedOutsideTheCore()
        {
            var core = Core();
            var types = core.Types.Where(t => t.IsPublic).ToDictionary(t => t.FullName, StringComparer.Ordinal);
            Assert.True(types.Count > 20, "the core's public types were not found");

            var needed = new HashSet<string>(Reasons.Keys, StringComparer.Ordinal);
            var work = new Queue<string>();
            foreach (var reference in Cmdlets().GetTypeReferences())
            {
                if (reference.Scope is AssemblyNameReference scope && scope.Name == core.Assembly.Name.Name) work.Enqueue(Outer(reference));
            }
            foreach (string name in Reasons.Keys) work.Enqueue(name);
            while (work.Count > 0)
            {
                string name = work.Dequeue();
                if (!types.TryGetValue(name, out var type)) continue;
                needed.Add(name);
                foreach (string shown in Shown(type))
                {
                    if (types.ContainsKey(shown) && !needed.Contains(shown)) { needed.Add(shown); work.Enqueue(shown); }
                }
            }
            var spare = types.Keys.Where(n => !needed.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
            Assert.True(spare.Count == 0, "public core types that nothing outside the core uses (make them internal):\n  " + string.Join("\n  ", spare));
        }

        [Fact]
        public void TheListOfReasonsNamesOnlyPublicTypes()
        {
            var core = Core();
            foreach (string name in Reasons.Keys)
            {
                var type = core.GetType(name);
                Assert.True(type != null && type.IsPublic, name + " is on the list of public types but is not a public core type");
            }
        }
    }
}
