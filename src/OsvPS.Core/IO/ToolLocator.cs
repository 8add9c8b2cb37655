using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.IO
{
    /// <summary>Finds QEMU's programs: <c>$CAPSTAN_QEMU_PATH</c> (the emulator or its folder), then PATH.</summary>
    internal static class ToolLocator
    {
        public static string Find(string program, string? explicitPath = null)
        {
            var searched = new List<string>();
            foreach (string candidate in Candidates(program, explicitPath))
            {
                searched.Add(candidate);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            string package = program == "qemu-img" ? "qemu-utils" : "qemu-system-x86";
            throw new OsvException(program == "qemu-img" ? Errors.ErrorIds.QemuImgNotFound : Errors.ErrorIds.QemuNotFound, OsvErrorKind.NotInstalled,
                $"{program} was not found; searched: {string.Join(", ", searched.Distinct())}. Install it (Debian: apt-get install {package}) or set $env:CAPSTAN_QEMU_PATH.", program);
        }

        private static IEnumerable<string> Candidates(string program, string? explicitPath)
        {
            if (!string.IsNullOrEmpty(explicitPath))
            {
                yield return explicitPath!;
                yield break;
            }
            string? configured = Environment.GetEnvironmentVariable("CAPSTAN_QEMU_PATH");
            if (!string.IsNullOrEmpty(configured))
            {
                if (Directory.Exists(configured))
                {
                    yield return Path.Combine(configured, program);
                }
                else if (program.StartsWith("qemu-system", StringComparison.Ordinal))
                {
                    yield return configured!;
                }
                else
                {
                    yield return Path.Combine(Path.GetDirectoryName(configured) ?? ".", program);
                }
            }
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                if (dir.Length > 0)
                {
                    yield return Path.Combine(dir, program);
                }
            }
        }
    }
}
