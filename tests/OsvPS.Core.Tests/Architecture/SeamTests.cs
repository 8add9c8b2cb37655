using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;
using OsvPS.Core.Errors;
using Xunit;

namespace OsvPS.Core.Tests.Architecture
{
    /// <summary>
    /// What crosses the core's seams is typed: an item's value or its error comes as an <see cref="ItemResult{T}"/>,
    /// never as an object the caller must cast (a KeyValuePair of a name and either a result or an exception).
    /// </summary>
    public sealed class SeamTests
    {
        private static IEnumerable<(string Where, TypeReference Type)> Signatures(ModuleDefinition module)
        {
            foreach (var type in module.GetTypes())
            {
                foreach (var method in type.Methods.Where(m => !m.IsPrivate))
                {
                    yield return ($"{type.FullName}.{method.Name} returns", method.ReturnType);
                    foreach (var parameter in method.Parameters)
                    {
                        yield return ($"{type.FullName}.{method.Name}({parameter.Name})", parameter.ParameterType);
                    }
                }
                foreach (var property in type.Properties.Where(p => p.GetMethod is { IsPrivate: false }))
                {
                    yield return ($"{type.FullName}.{property.Name}", property.PropertyType);
                }
            }
        }

        private static bool CarriesObjectPairs(TypeReference type)
        {
            if (type is GenericInstanceType generic)
            {
                if (generic.ElementType.FullName == "System.Collections.Generic.KeyValuePair`2" && generic.GenericArguments.Any(a => a.FullName == "System.Object"))
                {
                    return true;
                }
                return generic.GenericArguments.Any(CarriesObjectPairs);
            }
            return type is TypeSpecification spec && CarriesObjectPairs(spec.ElementType);
        }

        [Fact]
        public void NoCoreSignatureCarriesAResultOrAnExceptionAsAnObject()
        {
            var module = ModuleDefinition.ReadModule(typeof(ErrorIds).Assembly.Location);
            var loose = Signatures(module).Where(s => CarriesObjectPairs(s.Type)).Select(s => $"{s.Where}: {s.Type.FullName}").ToList();
            Assert.True(loose.Count == 0, "signatures with KeyValuePair<_, object> (use ItemResult<T>):\n" + string.Join("\n", loose));
            // The check sees such a type where it is.
            var witness = ModuleDefinition.ReadModule(typeof(SeamTests).Assembly.Location).ImportReference(typeof(IReadOnlyList<KeyValuePair<string, object>>));
            Assert.True(CarriesObjectPairs(witness));
        }

        [Fact]
        public void AnItemResultHoldsItsValueOrItsErrorAndTheItem()
        {
            var results = ItemResults.InParallel(new[] { "a", "bad", "c" }, s => s,
                s => s == "bad" ? throw new OsvException(ErrorIds.BinaryNotFound, OsvErrorKind.ObjectNotFound, "no " + s, s) : s.ToUpperInvariant(),
                System.Threading.CancellationToken.None);
            Assert.Equal(new[] { "a", "bad", "c" }, results.Select(r => r.Item));
            Assert.Equal(new[] { "A", null, "C" }, results.Select(r => r.Value));
            Assert.Equal(ErrorIds.BinaryNotFound, results[1].Error!.ErrorId);
            Assert.Null(results[0].Error);
        }

        private static string CmdletsAssembly() => System.IO.Path.Combine(System.AppContext.BaseDirectory, "OsvPS.dll");

        [Fact]
        public void NoCmdletParameterSpellsACoreEnumAsAStringSet()
        {
            var coreEnums = ModuleDefinition.ReadModule(typeof(ErrorIds).Assembly.Location).GetTypes().Where(t => t.IsEnum && t.IsPublic)
                .Select(t => (t.FullName, Names: new HashSet<string>(t.Fields.Where(f => f.IsStatic).Select(f => f.Name), System.StringComparer.OrdinalIgnoreCase))).ToList();
            var spelled = new List<string>();
            foreach (var type in ModuleDefinition.ReadModule(CmdletsAssembly()).GetTypes())
            {
                // A ValidateSet on an enum-typed parameter narrows the enum (ConvertTo-OsvKubeVirt -BootMode Kernel|Disk).
                foreach (var property in type.Properties.Where(p => p.PropertyType.FullName == "System.String" || p.PropertyType.FullName == "System.String[]"))
                {
                    foreach (var set in property.CustomAttributes.Where(a => a.AttributeType.Name == "ValidateSetAttribute"))
                    {
                        var values = ((CustomAttributeArgument[])set.ConstructorArguments[0].Value).Select(a => (string)a.Value).ToList();
                        foreach (var (name, names) in coreEnums.Where(e => values.All(v => e.Names.Contains(v))))
                        {
                            spelled.Add($"{type.Name}.{property.Name}: [{string.Join(", ", values)}] are {name}'s names; type the parameter with it");
                        }
                    }
                }
            }
            Assert.True(spelled.Count == 0, string.Join("\n", spelled));
            Assert.True(coreEnums.Count > 5, "the core's enums are read");
        }

        [Fact]
        public void NoCmdletParsesAnEnumFromAString()
        {
            string src = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(SeamTests).Assembly.Location)!, "../../../../../src/OsvPS");
            var parsing = System.IO.Directory.EnumerateFiles(src, "*.cs", System.IO.SearchOption.AllDirectories)
                .Where(f => !f.Contains("/obj/") && System.Text.RegularExpressions.Regex.IsMatch(System.IO.File.ReadAllText(f), @"Enum\.(Try)?Parse\s*[(<]")
                    && !f.EndsWith("ErrorMap.cs", System.StringComparison.Ordinal)).ToList();
            Assert.True(System.IO.Directory.Exists(src), src);
            Assert.True(parsing.Count == 0, "cmdlets that parse enums from strings:\n" + string.Join("\n", parsing));
        }

        [Fact]
        public void TheCLibraryIsDeclaredInOnePlace()
        {
            var module = ModuleDefinition.ReadModule(typeof(ErrorIds).Assembly.Location);
            var imports = module.GetTypes().SelectMany(t => t.Methods).Where(m => m.IsPInvokeImpl && m.PInvokeInfo.Module.Name == "libc").ToList();
            Assert.True(imports.Count > 10, "the C library's calls are read");
            var elsewhere = imports.Where(m => m.DeclaringType.FullName != "OsvPS.Core.IO.Libc").Select(m => m.FullName).ToList();
            Assert.True(elsewhere.Count == 0, "libc declared outside IO/Libc.cs:\n" + string.Join("\n", elsewhere));
            var twice = imports.GroupBy(m => m.PInvokeInfo.EntryPoint).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, "declared twice: " + string.Join(", ", twice));
        }

        [Fact]
        public void EveryCoreEnumIsWrittenAsItsNameByConvertToJson()
        {
            var enums = ModuleDefinition.ReadModule(typeof(ErrorIds).Assembly.Location).GetTypes().Where(t => t.IsEnum && t.IsPublic).ToList();
            Assert.True(enums.Count > 10);
            var numeric = enums.Where(t => !t.CustomAttributes.Any(a => a.AttributeType.FullName == "Newtonsoft.Json.JsonConverterAttribute"
                && a.ConstructorArguments.Count == 1 && ((TypeReference)a.ConstructorArguments[0].Value).FullName == "Newtonsoft.Json.Converters.StringEnumConverter"))
                .Select(t => t.FullName).ToList();
            Assert.True(numeric.Count == 0, "enums ConvertTo-Json would write as numbers:\n" + string.Join("\n", numeric));
        }
    }
}
