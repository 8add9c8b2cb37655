using System;
using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Libvirt
{
    /// <summary>
    /// The libvirt connection URIs OsvPS opens, checked before libvirt sees them. libvirt itself accepts
    /// far more: its <c>ext</c> transport, and the <c>command</c> parameter of <c>ssh</c>, run a program
    /// named in the URI on this machine, and <c>name</c> hands the remote daemon another URI. So only the
    /// QEMU driver, over the transports OsvPS documents, with the parameters they need, is let through:
    /// <list type="bullet">
    /// <item><c>qemu:///system</c>, <c>qemu:///session</c> (this machine; also <c>qemu+unix:///system?socket=...</c>)</item>
    /// <item><c>qemu+ssh://[user@]host[:port]/system</c> (parameters keyfile, known_hosts, known_hosts_verify, no_verify, no_tty, sshauth, socket, mode, proxy)</item>
    /// <item><c>qemu+tls://host[:port]/system</c> (parameters pkipath, no_verify, tls_priority)</item>
    /// </list>
    /// Plain <c>qemu+tcp</c> is refused: it carries the connection unencrypted, and libvirt serves it
    /// without authentication unless SASL is set up; use <c>+tls</c> or <c>+ssh</c>. (libvirt's URI grammar:
    /// https://libvirt.org/uri.html and https://libvirt.org/remote.html#uri-format.)
    /// </summary>
    internal static class LibvirtUri
    {
        private static readonly Dictionary<string, string[]> Parameters = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [""] = new string[0],
            ["unix"] = new[] { "socket", "mode" },
            ["ssh"] = new[] { "keyfile", "known_hosts", "known_hosts_verify", "no_verify", "no_tty", "sshauth", "socket", "mode", "proxy" },
            ["tls"] = new[] { "pkipath", "no_verify", "tls_priority" },
        };

        /// <summary>The transports OsvPS opens, as users write them.</summary>
        public static IReadOnlyList<string> Transports { get; } = new[] { "qemu://", "qemu+unix://", "qemu+ssh://", "qemu+tls://" };

        /// <summary>
        /// Refuses what is not a libvirt URI (ConnectionInvalid) and a libvirt URI OsvPS does not open
        /// (ConnectionNotSupported): another driver or transport, a parameter outside the list of its
        /// transport, a host or user that is not a plain name.
        /// </summary>
        public static void Check(string? uri)
        {
            string[] driver = Scheme(uri).Split('+');
            int scheme = uri!.IndexOf("://", StringComparison.Ordinal);
            string transport = driver.Length > 1 ? driver[1] : "";
            if (driver.Length > 2 || driver[0] != "qemu" || !Parameters.ContainsKey(transport))
            {
                throw Refused(uri, $"OsvPS opens the QEMU driver over {string.Join(", ", Transports)} only" +
                    (transport == "tcp" ? " (plain tcp is unencrypted and, without SASL, unauthenticated: use qemu+tls:// or qemu+ssh://)" : ""));
            }
            string rest = uri.Substring(scheme + 3);
            int query = rest.IndexOf('?');
            string authorityAndPath = query < 0 ? rest : rest.Substring(0, query);
            int slash = authorityAndPath.IndexOf('/');
            string authority = slash < 0 ? authorityAndPath : authorityAndPath.Substring(0, slash);
            if (transport == "ssh" || transport == "tls" ? authority.Length == 0 : authority.Length > 0)
            {
                throw Refused(uri, transport == "ssh" || transport == "tls" ? $"qemu+{transport} needs a host" : "a local connection names no host");
            }
            CheckAuthority(uri, authority);
            if (query >= 0)
            {
                foreach (string pair in rest.Substring(query + 1).Split('&').Where(p => p.Length > 0))
                {
                    string name = pair.Split('=')[0];
                    if (!Parameters[transport].Contains(name))
                    {
                        throw Refused(uri, $"the parameter '{name}' is not one OsvPS passes to libvirt" +
                            (Parameters[transport].Length > 0 ? $" for {(transport.Length == 0 ? "a local connection" : "qemu+" + transport)} (allowed: {string.Join(", ", Parameters[transport])})" : " for a local connection"));
                    }
                }
            }
        }

        /// <summary>
        /// The scheme of a URI as libvirt writes them (<c>driver[+transport]://...</c>); what is not one is refused
        /// (ConnectionInvalid). The engine registry finds engines by it.
        /// </summary>
        public static string Scheme(string? uri)
        {
            int scheme = uri?.IndexOf("://", StringComparison.Ordinal) ?? -1;
            if (uri == null || scheme <= 0 || uri.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ||
                !uri.Substring(0, scheme).All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '+' || c == '-' || c == '.')))
            {
                throw new OsvException(ErrorIds.ConnectionInvalid, OsvErrorKind.InvalidArgument,
                    $"'{uri}' is not a libvirt connection URI (such as qemu:///system or qemu+ssh://host/system).", uri);
            }
            return uri.Substring(0, scheme);
        }

        // [user@]host[:port]: a host name, an IPv4 address or a bracketed IPv6 one; a user name of plain characters.
        // Nothing that ssh could read as an option (a leading '-').
        private static void CheckAuthority(string uri, string authority)
        {
            if (authority.Length == 0)
            {
                return;
            }
            int at = authority.LastIndexOf('@');
            string user = at < 0 ? "" : authority.Substring(0, at);
            string hostPort = authority.Substring(at + 1);
            string host = hostPort;
            string port = "";
            if (hostPort.StartsWith("[", StringComparison.Ordinal))
            {
                int close = hostPort.IndexOf(']');
                host = close < 0 ? hostPort : hostPort.Substring(0, close + 1);
                port = close < 0 ? "" : hostPort.Substring(close + 1).TrimStart(':');
            }
            else if (hostPort.Contains(":"))
            {
                host = hostPort.Substring(0, hostPort.IndexOf(':'));
                port = hostPort.Substring(hostPort.IndexOf(':') + 1);
            }
            bool hostOk = host.StartsWith("[", StringComparison.Ordinal)
                ? host.EndsWith("]", StringComparison.Ordinal) && host.Length > 2 && host.Substring(1, host.Length - 2).All(c => Uri.IsHexDigit(c) || c == ':' || c == '.')
                : host.Length > 0 && host[0] != '-' && host.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '-' || c == '.'));
            bool portOk = port.Length == 0 || port.Length <= 5 && port.All(char.IsDigit) && int.Parse(port) is int p && p > 0 && p < 65536;
            bool userOk = at < 0 || user.Length > 0 && user[0] != '-' && user.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '-' || c == '.' || c == '_'));
            if (!hostOk || !portOk || !userOk)
            {
                throw Refused(uri, !hostOk ? $"'{host}' is not a host name or address" : !portOk ? $"'{port}' is not a port" : $"'{user}' is not a plain user name");
            }
        }

        private static OsvException Refused(string uri, string why)
            => new OsvException(ErrorIds.ConnectionNotSupported, OsvErrorKind.InvalidArgument,
                $"'{uri}' is refused: {why}. See Get-Help about_OsvPS_Libvirt.", uri);
    }
}
