using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using OsvPS.Core.Errors;
using OsvPS.Core.Oci;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace OsvPS.Core.Tests.Oci
{
    /// <summary>Runs only where KubeVirt's published schema is at hand, and says so otherwise.</summary>
    public sealed class KubeVirtSchemaFactAttribute : FactAttribute
    {
        public static readonly string? SchemaPath = new[]
        {
            Environment.GetEnvironmentVariable("OSVPS_TEST_KUBEVIRT_SCHEMA") ?? "",
            Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/kubevirt/swagger.json"),
        }.FirstOrDefault(File.Exists);

        public KubeVirtSchemaFactAttribute()
        {
            if (SchemaPath == null)
            {
                Skip = "KubeVirt's api/openapi-spec/swagger.json is not here: set OSVPS_TEST_KUBEVIRT_SCHEMA to a copy (or put it at ../shared/kubevirt/swagger.json)";
            }
        }
    }

    /// <summary>
    /// The VirtualMachineInstance YAML, read back with YamlDotNet and walked against KubeVirt's published
    /// OpenAPI definitions: every field must exist where it is, with the schema's type, enum and required fields.
    /// </summary>
    public sealed class KubeVirtSchemaTests
    {
        private static OsvRegistryImage Image(bool kernel)
        {
            var labels = new OsvImageLabels
            {
                ImageName = "team/My_Demo", CommandLine = "--env=A=b\\ c runscript /run/default;", DiskPath = "/disk/My_Demo.qcow2", DiskFormat = "qcow2",
                DiskSha256 = "sha256:" + new string('1', 64), KernelPath = kernel ? "/boot/osv-kernel.elf" : null,
            };
            return new OsvRegistryImage(ImageReference.Parse("registry.example:5000/team/demo:1.0"), "sha256:" + new string('2', 64), labels, 10);
        }

        [KubeVirtSchemaFact]
        public void TheVmiFitsKubeVirtsSchemaForAKernelAndADiskBoot()
        {
            using var schema = JsonDocument.Parse(File.ReadAllBytes(KubeVirtSchemaFactAttribute.SchemaPath!));
            var definitions = schema.RootElement.GetProperty("definitions");
            foreach (var (image, options) in new[]
            {
                (Image(true), new KubeVirtOptions { Namespace = "osv", ImagePullPolicy = ImagePullPolicy.IfNotPresent, ImagePullSecret = "regcred", Cpus = 2, MemoryMiB = 512 }),
                (Image(true), new KubeVirtOptions { KernelBoot = false, ByTag = true, MachineType = "pc" }),
                (Image(false), new KubeVirtOptions()),
            })
            {
                string yaml = KubeVirtVmi.Write(image, options);
                var stream = new YamlStream();
                stream.Load(new StringReader(yaml));
                var problems = new List<string>();
                Check(stream.Documents.Single().RootNode, definitions.GetProperty("v1.VirtualMachineInstance"), definitions, "", problems);
                Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + yaml);
                var root = (YamlMappingNode)stream.Documents[0].RootNode;
                Assert.Equal("kubevirt.io/v1", root["apiVersion"].ToString());
                Assert.Equal("VirtualMachineInstance", root["kind"].ToString());
                Assert.Equal("my-demo", ((YamlMappingNode)root["metadata"])["name"].ToString());
                var volume = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)root["spec"])["volumes"])[0];
                var disk = (YamlMappingNode)volume["containerDisk"];
                Assert.Equal("/disk/My_Demo.qcow2", disk["path"].ToString());
                Assert.Equal(options.ByTag ? "registry.example:5000/team/demo:1.0" : "registry.example:5000/team/demo@sha256:" + new string('2', 64), disk["image"].ToString());
                var domain = (YamlMappingNode)((YamlMappingNode)root["spec"])["domain"];
                bool kernelBoot = options.KernelBoot && image.KernelPath != null;
                Assert.Equal(kernelBoot, domain.Children.ContainsKey("firmware"));
                if (kernelBoot)
                {
                    var boot = (YamlMappingNode)((YamlMappingNode)domain["firmware"])["kernelBoot"];
                    Assert.Equal("--env=A=b\\ c runscript /run/default;", boot["kernelArgs"].ToString());
                    Assert.Equal("/boot/osv-kernel.elf", ((YamlMappingNode)boot["container"])["kernelPath"].ToString());
                }
            }
        }

        [Fact]
        public void NamesThatAreNotDnsLabelsAndACommandLineWithoutAKernelAreRefused()
        {
            Assert.Equal(ErrorIds.KubeVirtSettingInvalid, Assert.Throws<OsvException>(() => KubeVirtVmi.Write(Image(true), new KubeVirtOptions { Name = "Demo" })).ErrorId);
            Assert.Equal(ErrorIds.KubeVirtSettingInvalid, Assert.Throws<OsvException>(() => KubeVirtVmi.Write(Image(false), new KubeVirtOptions { CommandLine = "/x" })).ErrorId);
        }

        private static JsonElement Resolve(JsonElement schema, JsonElement definitions)
        {
            while (schema.TryGetProperty("$ref", out var reference))
            {
                schema = definitions.GetProperty(reference.GetString()!.Substring("#/definitions/".Length));
            }
            return schema;
        }

        private static void Check(YamlNode node, JsonElement schema, JsonElement definitions, string path, List<string> problems)
        {
            schema = Resolve(schema, definitions);
            // A type is a name, or a list of names (["string", "null"]).
            string type = !schema.TryGetProperty("type", out var t) ? "" : t.ValueKind == JsonValueKind.Array
                ? t.EnumerateArray().Select(x => x.GetString()!).First(x => x != "null") : t.GetString()!;
            switch (node)
            {
                case YamlMappingNode map:
                    if (type != "object") { problems.Add($"{path}: a mapping where the schema has '{type}'"); return; }
                    foreach (var entry in map.Children)
                    {
                        string key = entry.Key.ToString();
                        if (schema.TryGetProperty("properties", out var properties) && properties.TryGetProperty(key, out var field))
                            Check(entry.Value, field, definitions, path + "." + key, problems);
                        else if (schema.TryGetProperty("additionalProperties", out var additional))
                            Check(entry.Value, additional, definitions, path + "." + key, problems);
                        else
                            problems.Add($"{path}.{key}: not a field of this object in KubeVirt's schema");
                    }
                    if (schema.TryGetProperty("required", out var required))
                        foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(r => !map.Children.ContainsKey(new YamlScalarNode(r))))
                            problems.Add($"{path}.{name}: required by KubeVirt's schema, missing");
                    break;
                case YamlSequenceNode list:
                    if (type != "array") { problems.Add($"{path}: a list where the schema has '{type}'"); return; }
                    int i = 0;
                    foreach (var item in list) Check(item, schema.GetProperty("items"), definitions, $"{path}[{i++}]", problems);
                    break;
                case YamlScalarNode scalar:
                    bool quoted = scalar.Style == YamlDotNet.Core.ScalarStyle.DoubleQuoted || scalar.Style == YamlDotNet.Core.ScalarStyle.SingleQuoted;
                    string value = scalar.Value ?? "";
                    bool fits = type switch
                    {
                        "string" => quoted,
                        "integer" => !quoted && long.TryParse(value, out _),
                        "boolean" => !quoted && (value == "true" || value == "false"),
                        _ => false,
                    };
                    if (!fits) problems.Add($"{path}: '{value}' (quoted: {quoted}) does not fit the schema's type '{type}'");
                    if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => a.GetString() == value))
                        problems.Add($"{path}: '{value}' is not one of the schema's values");
                    break;
            }
        }
    }
}
