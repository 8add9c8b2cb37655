using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// The build system, as Capstan writes it into <c>platform</c> (<c>Ubuntu-14.04</c>): what users read to
    /// know where an image's programs were compiled. Read from /etc/os-release (ID and VERSION_ID).
    /// </summary>
    internal static class HostPlatform
    {
        private static readonly Lazy<string> Cached = new Lazy<string>(() => Describe("/etc/os-release"));

        /// <summary>This machine's platform, e.g. <c>Debian-12</c>.</summary>
        public static string Current => Cached.Value;

        /// <summary>The platform an os-release file describes; the OS's own description when there is none.</summary>
        public static string Describe(string osRelease)
        {
            string? id = null;
            string? version = null;
            if (File.Exists(osRelease))
            {
                foreach (string line in File.ReadAllLines(osRelease))
                {
                    int eq = line.IndexOf('=');
                    if (eq <= 0)
                    {
                        continue;
                    }
                    string value = line.Substring(eq + 1).Trim().Trim('"', '\'');
                    switch (line.Substring(0, eq).Trim())
                    {
                        case "ID": id = value; break;
                        case "VERSION_ID": version = value; break;
                    }
                }
            }
            if (string.IsNullOrEmpty(id))
            {
                return RuntimeInformation.OSDescription.Trim();
            }
            string name = char.ToUpper(id![0], CultureInfo.InvariantCulture) + id.Substring(1);
            return string.IsNullOrEmpty(version) ? name : name + "-" + version;
        }
    }
}
