using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// OsvPS's metadata in an image config's <c>config.Labels</c> (string to string, as every tool shows
    /// them: <c>skopeo inspect</c>, <c>docker inspect</c>): what the image runs, how it boots, and the
    /// digests of the disk and kernel files as published, so a pull can check it got the same bytes.
    /// </summary>
    public sealed class OsvImageLabels
    {
        public const string Format = "org.osvps.format";
        public const string Name = "org.osvps.image.name";
        public const string CommandLineKey = "org.osvps.command-line";
        public const string ConfigSetsKey = "org.osvps.config-sets";
        public const string BootModeKey = "org.osvps.boot-mode";
        public const string PlatformKey = "org.osvps.platform";
        public const string DiskPathKey = "org.osvps.disk.path";
        public const string DiskFormatKey = "org.osvps.disk.format";
        public const string DiskSha256Key = "org.osvps.disk.sha256";
        public const string KernelPathKey = "org.osvps.kernel.path";
        public const string KernelSha256Key = "org.osvps.kernel.sha256";
        public const string VersionKey = "org.opencontainers.image.version";
        public const string DescriptionKey = "org.opencontainers.image.description";
        public const string CreatedKey = "org.opencontainers.image.created";

        public string? ImageName { get; set; }
        public string? CommandLine { get; set; }
        public string[] ConfigSets { get; set; } = new string[0];
        public string? Platform { get; set; }
        public string DiskPath { get; set; } = "";
        public string DiskFormat { get; set; } = "";
        public string DiskSha256 { get; set; } = "";
        public string? KernelPath { get; set; }
        public string? KernelSha256 { get; set; }
        public string? Version { get; set; }
        public string? Description { get; set; }
        public DateTime? Created { get; set; }

        public SortedDictionary<string, string> ToDictionary()
        {
            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [Format] = "1",
                [DiskPathKey] = DiskPath,
                [DiskFormatKey] = DiskFormat,
                [DiskSha256Key] = DiskSha256,
                [BootModeKey] = KernelPath != null ? "kernel" : "disk",
            };
            void Put(string key, string? value)
            {
                if (value != null)
                {
                    labels[key] = value;
                }
            }
            Put(Name, ImageName);
            Put(CommandLineKey, CommandLine);
            Put(ConfigSetsKey, ConfigSets.Length == 0 ? null : string.Join(",", ConfigSets));
            Put(PlatformKey, Platform);
            Put(KernelPathKey, KernelPath);
            Put(KernelSha256Key, KernelSha256);
            Put(VersionKey, Version);
            Put(DescriptionKey, Description);
            Put(CreatedKey, Created?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            return labels;
        }

        /// <summary>The labels of an image config, or null when it has no OsvPS disk (not an OsvPS image).</summary>
        public static OsvImageLabels? FromConfig(JsonElement config)
        {
            if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("config", out var inner) || inner.ValueKind != JsonValueKind.Object ||
                !inner.TryGetProperty("Labels", out var labels) || labels.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            string? Get(string key) => labels.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            string? diskPath = Get(DiskPathKey), diskFormat = Get(DiskFormatKey), diskSha = Get(DiskSha256Key);
            if (Get(Format) != "1" || diskPath == null || diskFormat == null || diskSha == null)
            {
                return null;
            }
            return new OsvImageLabels
            {
                ImageName = Get(Name),
                CommandLine = Get(CommandLineKey),
                ConfigSets = (Get(ConfigSetsKey) ?? "").Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries),
                Platform = Get(PlatformKey),
                DiskPath = diskPath,
                DiskFormat = diskFormat,
                DiskSha256 = diskSha,
                KernelPath = Get(KernelPathKey),
                KernelSha256 = Get(KernelSha256Key),
                Version = Get(VersionKey),
                Description = Get(DescriptionKey),
                Created = DateTime.TryParse(Get(CreatedKey), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var created)
                    ? created : (DateTime?)null,
            };
        }
    }
}
