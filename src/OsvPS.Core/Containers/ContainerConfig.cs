using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Containers
{
    /// <summary>A container's health check (Docker's <c>HEALTHCHECK</c>), as the image config gives it.</summary>
    public sealed class ContainerHealthcheck
    {
        internal ContainerHealthcheck(IReadOnlyList<string> test, TimeSpan? interval, TimeSpan? timeout, TimeSpan? startPeriod, int? retries)
        {
            Test = test;
            Interval = interval;
            Timeout = timeout;
            StartPeriod = startPeriod;
            Retries = retries;
        }

        /// <summary><c>["CMD", ...]</c>, <c>["CMD-SHELL", "..."]</c> or <c>["NONE"]</c>.</summary>
        public IReadOnlyList<string> Test { get; }
        public TimeSpan? Interval { get; }
        public TimeSpan? Timeout { get; }
        public TimeSpan? StartPeriod { get; }
        public int? Retries { get; }
    }

    /// <summary>How an image says it runs: the <c>config</c> object of its image config (OCI image spec, config.md).</summary>
    public sealed class ContainerConfig
    {
        private static readonly IReadOnlyList<string> None = new string[0];

        private ContainerConfig()
        {
        }

        public IReadOnlyList<string> Entrypoint { get; private set; } = None;
        public IReadOnlyList<string> Cmd { get; private set; } = None;
        /// <summary><c>NAME=value</c> entries, in the image's order.</summary>
        public IReadOnlyList<string> Env { get; private set; } = None;
        public string? WorkingDir { get; private set; }
        public string? User { get; private set; }
        /// <summary><c>port/protocol</c> entries (<c>80/tcp</c>).</summary>
        public IReadOnlyList<string> ExposedPorts { get; private set; } = None;
        public IReadOnlyList<string> Volumes { get; private set; } = None;
        public ContainerHealthcheck? Healthcheck { get; private set; }
        public IReadOnlyDictionary<string, string> Labels { get; private set; } = new Dictionary<string, string>();
        public string? StopSignal { get; private set; }
        /// <summary>The image's os and architecture (<c>linux/amd64</c>).</summary>
        public string? Platform { get; private set; }
        /// <summary>The digests of the layers unpacked (<c>rootfs.diff_ids</c>), in order.</summary>
        internal IReadOnlyList<string> DiffIds { get; private set; } = None;

        /// <summary>Reads an image config; what is not one ends in <paramref name="invalid"/>'s error.</summary>
        internal static ContainerConfig Parse(byte[] json, Func<string, OsvException> invalid)
        {
            try
            {
                using (var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 }))
                {
                    var root = doc.RootElement;
                    if (root.ValueKind != JsonValueKind.Object)
                    {
                        throw invalid("its config is not a JSON object");
                    }
                    var result = new ContainerConfig
                    {
                        Platform = Text(root, "os") is string os ? os + "/" + Text(root, "architecture") : null,
                    };
                    if (root.TryGetProperty("rootfs", out var rootfs) && rootfs.ValueKind == JsonValueKind.Object)
                    {
                        result.DiffIds = Strings(rootfs, "diff_ids");
                    }
                    if (root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object)
                    {
                        result.Entrypoint = Strings(c, "Entrypoint");
                        result.Cmd = Strings(c, "Cmd");
                        result.Env = Strings(c, "Env");
                        result.WorkingDir = Text(c, "WorkingDir");
                        result.User = Text(c, "User");
                        result.StopSignal = Text(c, "StopSignal");
                        result.ExposedPorts = Keys(c, "ExposedPorts");
                        result.Volumes = Keys(c, "Volumes");
                        if (c.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object)
                        {
                            result.Labels = labels.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                                .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
                        }
                        if (c.TryGetProperty("Healthcheck", out var h) && h.ValueKind == JsonValueKind.Object)
                        {
                            result.Healthcheck = new ContainerHealthcheck(Strings(h, "Test"), Duration(h, "Interval"), Duration(h, "Timeout"), Duration(h, "StartPeriod"),
                                h.TryGetProperty("Retries", out var r) && r.ValueKind == JsonValueKind.Number && r.TryGetInt32(out int n) ? n : (int?)null);
                        }
                    }
                    return result;
                }
            }
            // InvalidOperationException: a string that is not UTF-16 text (a lone surrogate escaped as \ud800).
            catch (Exception e) when (e is JsonException || e is InvalidOperationException)
            {
                throw invalid($"its config cannot be read ({e.Message})");
            }
        }

        private static string? Text(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private static IReadOnlyList<string> Strings(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
                ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList() : None;

        private static IReadOnlyList<string> Keys(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v.EnumerateObject().Select(p => p.Name).ToList() : None;

        // Durations are nanoseconds.
        private static TimeSpan? Duration(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long ns) && ns > 0 ? TimeSpan.FromTicks(ns / 100) : (TimeSpan?)null;
    }
}
