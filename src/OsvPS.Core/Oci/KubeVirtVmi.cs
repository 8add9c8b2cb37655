using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using OsvPS.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OsvPS.Core.Oci
{
    /// <summary>When the cluster's nodes pull the image (Kubernetes' <c>imagePullPolicy</c>).</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum ImagePullPolicy
    {
        Always,
        IfNotPresent,
        Never,
    }

    /// <summary>What a VirtualMachineInstance of an OsvPS image asks of the cluster.</summary>
    public sealed class KubeVirtOptions
    {
        /// <summary>The VMI's name (a DNS label); default: the image name, made one.</summary>
        public string? Name { get; set; }
        public string? Namespace { get; set; }
        public int MemoryMiB { get; set; } = 256;
        public int Cpus { get; set; } = 1;
        /// <summary>Kernel: kernelBoot from the image's own kernel, with the command line as kernelArgs; Disk: boot the containerDisk.</summary>
        public bool KernelBoot { get; set; } = true;
        /// <summary>The command line for a kernel boot instead of the image's own.</summary>
        public string? CommandLine { get; set; }
        /// <summary>Null leaves Kubernetes' default.</summary>
        public ImagePullPolicy? ImagePullPolicy { get; set; }
        /// <summary>The name of a docker-registry secret in the namespace, for a private registry.</summary>
        public string? ImagePullSecret { get; set; }
        /// <summary>Refer to the image by tag instead of by its digest.</summary>
        public bool ByTag { get; set; }
        /// <summary>spec.domain.machine.type (KubeVirt's default on x86-64 is q35); null leaves the cluster's default.</summary>
        public string? MachineType { get; set; }
    }

    /// <summary>
    /// Writes a KubeVirt <c>VirtualMachineInstance</c> (kubevirt.io/v1) for an OsvPS image in a registry:
    /// a <c>containerDisk</c> volume with the image's disk path (on a virtio disk, as OSv reads its file system),
    /// and, for a kernel boot, <c>firmware.kernelBoot</c> with <c>container.kernelPath</c> and the command line
    /// as <c>kernelArgs</c> (KubeVirt's webhook refuses kernelArgs without a kernel container). Field names and
    /// types are those of KubeVirt's published OpenAPI schema (api/openapi-spec/swagger.json).
    /// </summary>
    public static class KubeVirtVmi
    {
        private static readonly Regex DnsLabel = new Regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant);

        public static string Write(OsvRegistryImage image, KubeVirtOptions options)
        {
            if (image.DiskPath == null)
            {
                throw new OsvException(ErrorIds.OciNotAnOsvImage, OsvErrorKind.InvalidArgument,
                    $"'{image.Reference}' carries no OsvPS labels (a tag from a listing?); read it with Find-OsvImage -Reference first.", image);
            }
            string name = options.Name ?? DefaultName(image);
            Check(name, "name");
            if (options.Namespace != null)
            {
                Check(options.Namespace, "namespace");
            }
            bool kernel = options.KernelBoot && image.KernelPath != null;
            if (options.KernelBoot && image.KernelPath == null && options.CommandLine != null)
            {
                throw Invalid($"'{image.Reference}' has no kernel, so it boots from its disk with the command line stored there; -CommandLine needs a kernel boot.", image);
            }
            string reference = options.ByTag || image.PinnedReference == null ? image.Reference : image.PinnedReference;

            var metadata = Map(("name", name), ("namespace", options.Namespace),
                ("labels", Map(("app.kubernetes.io/name", name), ("app.kubernetes.io/managed-by", "OsvPS"))));
            var domain = Map(
                ("machine", options.MachineType == null ? null : Map(("type", options.MachineType))),
                ("cpu", Map(("cores", options.Cpus))),
                ("resources", Map(("requests", Map(("memory", options.MemoryMiB.ToString(CultureInfo.InvariantCulture) + "Mi"))))),
                ("firmware", kernel ? Map(("kernelBoot", Map(
                    ("container", Map(("image", reference), ("kernelPath", image.KernelPath), ("imagePullPolicy", options.ImagePullPolicy?.ToString()), ("imagePullSecret", options.ImagePullSecret))),
                    ("kernelArgs", options.CommandLine ?? image.CommandLine ?? "")))) : null),
                ("devices", Map(("disks", new List<object> { Map(("name", "osv"), ("disk", Map(("bus", "virtio")))) }))));
            var spec = Map(
                ("terminationGracePeriodSeconds", 0),
                ("domain", domain),
                ("volumes", new List<object> { Map(("name", "osv"), ("containerDisk", Map(("image", reference), ("path", image.DiskPath), ("imagePullPolicy", options.ImagePullPolicy?.ToString()), ("imagePullSecret", options.ImagePullSecret)))) }));
            var root = Map(("apiVersion", "kubevirt.io/v1"), ("kind", "VirtualMachineInstance"), ("metadata", metadata), ("spec", spec));
            return Emit(root);
        }

        /// <summary>The image name as a DNS label: lowercase, other characters as '-', at most 63.</summary>
        public static string DefaultName(OsvRegistryImage image)
        {
            string source = image.ImageName ?? image.Repository;
            source = source.Substring(source.LastIndexOf('/') + 1).ToLowerInvariant();
            string name = Regex.Replace(source, "[^a-z0-9-]+", "-").Trim('-');
            name = name.Length > 63 ? name.Substring(0, 63).TrimEnd('-') : name;
            return name.Length == 0 ? "osv" : name;
        }

        private static void Check(string value, string what)
        {
            if (value.Length > 63 || !DnsLabel.IsMatch(value))
            {
                throw Invalid($"'{value}' is not a valid {what}: a Kubernetes name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit.", value);
            }
        }

        private static OsvException Invalid(string message, object target)
            => new OsvException(ErrorIds.KubeVirtSettingInvalid, OsvErrorKind.InvalidArgument, message, target);

        // An ordered mapping; entries whose value is null are left out.
        private static List<KeyValuePair<string, object>> Map(params (string Key, object? Value)[] entries)
        {
            var map = new List<KeyValuePair<string, object>>();
            foreach (var (key, value) in entries)
            {
                if (value != null)
                {
                    map.Add(new KeyValuePair<string, object>(key, value));
                }
            }
            return map;
        }

        private static string Emit(object root)
        {
            var text = new StringWriter { NewLine = "\n" };
            var emitter = new Emitter(text, new EmitterSettings(2, int.MaxValue, false, 1024, false, false, "\n"));
            emitter.Emit(new StreamStart());
            emitter.Emit(new DocumentStart(null, null, true));
            Node(emitter, root);
            emitter.Emit(new DocumentEnd(true));
            emitter.Emit(new StreamEnd());
            return text.ToString();
        }

        // Strings double-quoted (a command line reads back unchanged), numbers plain, mappings and lists in block style.
        private static void Node(IEmitter emitter, object value)
        {
            switch (value)
            {
                case string s:
                    emitter.Emit(new Scalar(null, null, s, ScalarStyle.DoubleQuoted, false, true));
                    break;
                case int n:
                    emitter.Emit(new Scalar(null, null, n.ToString(CultureInfo.InvariantCulture), ScalarStyle.Plain, true, false));
                    break;
                case List<KeyValuePair<string, object>> map:
                    emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                    foreach (var entry in map)
                    {
                        emitter.Emit(new Scalar(null, null, entry.Key, ScalarStyle.Any, true, false));
                        Node(emitter, entry.Value);
                    }
                    emitter.Emit(new MappingEnd());
                    break;
                case IList list:
                    emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
                    foreach (object item in list)
                    {
                        Node(emitter, item);
                    }
                    emitter.Emit(new SequenceEnd());
                    break;
                default:
                    throw new ArgumentException("no YAML for " + value.GetType().Name);
            }
        }
    }
}
