using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;
using OsvPS.Core.Errors;
using Xunit;

namespace OsvPS.Core.Tests.Architecture
{
    /// <summary>
    /// The core's folders are layers: read from the compiled assembly (every type a type's fields,
    /// signatures, base types, attributes and method bodies name), no folder may reach one that reaches
    /// it back, directly or around a longer circle.
    /// </summary>
    public sealed class LayerTests
    {
        private const string Root = "OsvPS.Core";

        private static string? FolderOf(TypeReference? type)
        {
            while (type != null)
            {
                if (type is TypeSpecification spec)
                {
                    type = spec.ElementType;
                    continue;
                }
                if (type.DeclaringType != null)
                {
                    type = type.DeclaringType;
                    continue;
                }
                string ns = type.Namespace ?? "";
                if (ns == Root)
                {
                    return "(root)";
                }
                return ns.StartsWith(Root + ".", StringComparison.Ordinal) ? ns.Substring(Root.Length + 1).Split('.')[0] : null;
            }
            return null;
        }

        private static IEnumerable<TypeReference> Named(TypeReference type)
        {
            yield return type;
            if (type is GenericInstanceType generic)
            {
                foreach (var argument in generic.GenericArguments.SelectMany(Named))
                {
                    yield return argument;
                }
            }
            if (type is TypeSpecification spec)
            {
                foreach (var inner in Named(spec.ElementType))
                {
                    yield return inner;
                }
            }
        }

        private static IEnumerable<TypeReference> References(TypeDefinition type)
        {
            if (type.BaseType != null) foreach (var t in Named(type.BaseType)) yield return t;
            foreach (var i in type.Interfaces) foreach (var t in Named(i.InterfaceType)) yield return t;
            foreach (var f in type.Fields) foreach (var t in Named(f.FieldType)) yield return t;
            foreach (var p in type.Properties) foreach (var t in Named(p.PropertyType)) yield return t;
            foreach (var m in type.Methods)
            {
                foreach (var t in Named(m.ReturnType)) yield return t;
                foreach (var p in m.Parameters) foreach (var t in Named(p.ParameterType)) yield return t;
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) foreach (var t in Named(v.VariableType)) yield return t;
                foreach (var instruction in m.Body.Instructions)
                {
                    switch (instruction.Operand)
                    {
                        case TypeReference t:
                            foreach (var n in Named(t)) yield return n;
                            break;
                        case MethodReference method:
                            foreach (var n in Named(method.DeclaringType)) yield return n;
                            if (method is GenericInstanceMethod gm) foreach (var a in gm.GenericArguments) foreach (var n in Named(a)) yield return n;
                            break;
                        case FieldReference field:
                            foreach (var n in Named(field.DeclaringType)) yield return n;
                            break;
                    }
                }
            }
        }

        private static Dictionary<string, Dictionary<string, SortedSet<string>>> Graph()
        {
            var module = ModuleDefinition.ReadModule(typeof(ErrorIds).Assembly.Location);
            var graph = new Dictionary<string, Dictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
            foreach (var type in module.GetTypes())
            {
                string? from = FolderOf(type);
                if (from == null) continue;
                if (!graph.TryGetValue(from, out var edges)) graph[from] = edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
                foreach (var reference in References(type))
                {
                    string? to = FolderOf(reference);
                    if (to == null || to == from) continue;
                    if (!edges.TryGetValue(to, out var why)) edges[to] = why = new SortedSet<string>(StringComparer.Ordinal);

                    why.Add(OuterName(type) + " -> " + OuterName(reference));
                }
            }
            return graph;
        }

        private static string OuterName(TypeReference type)
        {
            while (type is TypeSpecification spec) type = spec.ElementType;
            while (type.DeclaringType != null) type = type.DeclaringType;
            return type.Name;
        }

        [Fact]
        public void NoFolderReachesOneThatReachesItBack()
        {
            var graph = Graph();
            Assert.True(graph.Count > 8, "the core's folders were not found in its assembly");
            // Tarjan's strongly connected components: a component of more than one folder is a circle.
            int index = 0;
            var indexes = new Dictionary<string, int>(); var low = new Dictionary<string, int>();
            var stack = new Stack<string>(); var onStack = new HashSet<string>();
            var circles = new List<List<string>>();
            void Visit(string v)
            {
                indexes[v] = low[v] = index++;
                stack.Push(v); onStack.Add(v);
                foreach (string w in graph.TryGetValue(v, out var e) ? e.Keys : Enumerable.Empty<string>())
                {
                    if (!indexes.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                    else if (onStack.Contains(w)) low[v] = Math.Min(low[v], indexes[w]);
                }
                if (low[v] == indexes[v])
                {
                    var component = new List<string>();
                    string w;
                    do { w = stack.Pop(); onStack.Remove(w); component.Add(w); } while (w != v);
                    if (component.Count > 1) circles.Add(component);
                }
            }
            foreach (string v in graph.Keys.ToList()) if (!indexes.ContainsKey(v)) Visit(v);
            string Explain(List<string> c) => string.Join("\n", c.SelectMany(a => c.Where(b => graph.TryGetValue(a, out var e) && e.ContainsKey(b))
                .Select(b => $"  {a} -> {b}: {string.Join(", ", graph[a][b].Take(4))}")));
            Assert.True(circles.Count == 0, "folders in circles:\n" + string.Join("\n", circles.Select(Explain)));
        }

        [Fact]
        public void ErrorsAndModelsReachNoOtherFolder()
        {
            var graph = Graph();
            foreach (string leaf in new[] { "Errors" })
            {
                Assert.Empty(graph.TryGetValue(leaf, out var e) ? e.Keys : Enumerable.Empty<string>());
            }
        }
    }
}
