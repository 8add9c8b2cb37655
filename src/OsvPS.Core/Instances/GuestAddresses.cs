using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// The addresses OSv gave its NICs, from its console: loader.cc prints <c>eth0: ADDRESS</c> for each address it sets
    /// (from <c>--ip</c>) and the DHCP client the one it gets, before the <c>Cmdline:</c> line; only lines before that one
    /// count, so a program's output never passes for them.
    /// </summary>
    internal static class GuestAddresses
    {
        private static readonly Regex Line = new Regex(@"^eth\d+: (\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$", RegexOptions.CultureInvariant);
        private const int MaxBytes = 64 * 1024;

        public static string[] FromConsole(string consolePath)
        {
            var found = new List<string>();
            try
            {
                using (var stream = new FileStream(consolePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    var buffer = new byte[MaxBytes];
                    int read = 0, n;
                    while (read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0)
                    {
                        read += n;
                    }
                    foreach (string raw in Encoding.UTF8.GetString(buffer, 0, read).Split('\n'))
                    {
                        string line = raw.TrimEnd('\r');
                        if (line.StartsWith("Cmdline: ", StringComparison.Ordinal))
                        {
                            break;
                        }
                        var m = Line.Match(line);
                        if (m.Success && System.Net.IPAddress.TryParse(m.Groups[1].Value, out _) && !found.Contains(m.Groups[1].Value))
                        {
                            found.Add(m.Groups[1].Value);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
            }
            return found.ToArray();
        }
    }
}
