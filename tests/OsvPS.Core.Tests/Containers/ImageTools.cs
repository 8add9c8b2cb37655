using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>A fact that needs real image tools (umoci, skopeo); where one is missing it is reported skipped, with why.</summary>
    public sealed class ToolFactAttribute : FactAttribute
    {
        public ToolFactAttribute(params string[] tools)
        {
            var missing = tools.Where(t => ImageTools.Find(t) == null).ToList();
            if (missing.Count > 0)
            {
                Skip = $"needs {string.Join(" and ", missing)} (Debian packages of the same names) to build the image with the real tool";
            }
        }
    }

    /// <summary>Runs umoci and skopeo, and edits an OCI layout they made (a layer added by hand, a blob replaced).</summary>
    public static class ImageTools
    {
        public static string? Find(string tool)
            => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

        public static string Run(string tool, params string[] args)
        {
            var start = new ProcessStartInfo(Find(tool) ?? throw new InvalidOperationException(tool + " is not installed"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string a in args) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{tool} {string.Join(" ", args)} failed ({process.ExitCode}): {stderr.Result}");
            return stdout;
        }

        public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

        public static string Blob(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest.Substring(7));

        /// <summary>The manifest of the only image in a layout, its digest and the path of its blob.</summary>
        public static (JsonObject Manifest, string Digest) Manifest(string layout)
        {
            var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!.AsObject();
            string digest = index["manifests"]![0]!["digest"]!.GetValue<string>();
            return (JsonNode.Parse(File.ReadAllBytes(Blob(layout, digest)))!.AsObject(), digest);
        }

        /// <summary>Writes a blob into the layout; returns its digest.</summary>
        public static string PutBlob(string layout, byte[] bytes)
        {
            string digest = Sha256(bytes);
            File.WriteAllBytes(Blob(layout, digest), bytes);
            return digest;
        }

        /// <summary>
        /// Adds a layer to the only image of a layout by hand (its blob, the manifest's descriptor, the config's diff_id,
        /// then the new manifest in index.json), as a tool would: for layers no tool writes (a gzip bomb).
        /// </summary>
        public static void AddLayer(string layout, string blobFile, string mediaType, string diffId)
        {
            var (manifest, _) = Manifest(layout);
            string blobDigest;
            using (var f = File.OpenRead(blobFile)) blobDigest = "sha256:" + Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant();
            File.Move(blobFile, Blob(layout, blobDigest), overwrite: true);
            string configDigest = manifest["config"]!["digest"]!.GetValue<string>();
            var config = JsonNode.Parse(File.ReadAllBytes(Blob(layout, configDigest)))!.AsObject();
            config["rootfs"]!["diff_ids"]!.AsArray().Add(diffId);
            byte[] configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
            manifest["config"]!["digest"] = PutBlob(layout, configBytes);
            manifest["config"]!["size"] = configBytes.Length;
            manifest["layers"]!.AsArray().Add(new JsonObject { ["mediaType"] = mediaType, ["digest"] = blobDigest, ["size"] = new FileInfo(Blob(layout, blobDigest)).Length });
            byte[] manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
            var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!.AsObject();
            index["manifests"]![0]!["digest"] = PutBlob(layout, manifestBytes);
            index["manifests"]![0]!["size"] = manifestBytes.Length;
            File.WriteAllText(Path.Combine(layout, "index.json"), index.ToJsonString());
        }
    }
}
