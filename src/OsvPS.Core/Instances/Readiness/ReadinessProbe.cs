using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using OsvPS.Core.Errors;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>What a readiness probe asks of an instance.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum ReadinessProbeKind
    {
        /// <summary>The instance is running (Test-OsvInstance without -Probe).</summary>
        Running,
        /// <summary><c>tcp:PORT</c>: the guest port takes and holds a connection, through the instance's forward of it.</summary>
        Tcp,
        /// <summary><c>http://ADDRESS:PORT/PATH</c>: a 2xx or 3xx answer at an address the user wrote.</summary>
        Http,
        /// <summary><c>console:REGEX</c>: a console line (as the user reads it) matches.</summary>
        Console,
    }

    /// <summary>
    /// A readiness probe, parsed once before anything starts: <c>tcp:PORT</c> (PORT is the guest's port),
    /// <c>http://ADDRESS:PORT/PATH</c> (ADDRESS a literal IP address or localhost, PORT written out) or
    /// <c>console:REGEX</c>. It is checked against an instance (its forwards, its console) by
    /// <see cref="ReadinessCheck"/>; from the host it only ever touches the forward's address or the address written.
    /// </summary>
    public abstract class ReadinessProbe
    {
        private const string Forms = "write tcp:PORT (the guest's port, reached through the instance's -Forward), http://ADDRESS:PORT/PATH (a literal IP address or localhost, with its port) or console:REGEX";

        /// <summary>How long a console pattern may take on one line.</summary>
        internal static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

        private protected ReadinessProbe(string text) => Text = text;

        public abstract ReadinessProbeKind Kind { get; }

        /// <summary>The probe as written back (<c>tcp:80</c>, <c>http://127.0.0.1:8080/health</c>, <c>console:^ready</c>).</summary>
        public string Text { get; }

        public override string ToString() => Text;

        /// <summary>The probe Test-OsvInstance uses without -Probe: the instance is running.</summary>
        public static ReadinessProbe Running { get; } = new RunningProbe();

        /// <summary>Parses a probe; anything else is <see cref="ErrorIds.ReadinessProbeInvalid"/> with what to write.</summary>
        public static ReadinessProbe Parse(string? text)
        {
            string probe = (text ?? "").Trim();
            if (probe.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase))
            {
                return new TcpProbe(Port(probe, probe.Substring(4), "tcp:PORT"));
            }
            if (probe.StartsWith("console:", StringComparison.OrdinalIgnoreCase))
            {
                return new ConsoleProbe(Pattern(probe, probe.Substring(8)));
            }
            int scheme = probe.IndexOf("://", StringComparison.Ordinal);
            if (scheme > 0)
            {
                return ParseUrl(probe, probe.Substring(0, scheme));
            }
            throw Invalid(probe, "it is not a probe");
        }

        /// <summary>Before a start: throws <see cref="ErrorIds.ReadinessProbeUnreachable"/> when an instance with these forwards gives the probe no way in.</summary>
        public void CheckForwards(string instanceName, IReadOnlyList<PortForward> forwards) => Reach(new ProbeTarget(instanceName, forwards, null));

        /// <summary>
        /// The same probe for an instance whose forwards are <paramref name="now"/> where the probe was written for
        /// <paramref name="written"/> (a replacement running on temporary host ports until its forwards move): an http probe
        /// written for the host port of one of <paramref name="written"/> asks the host port that has the same guest port now.
        /// </summary>
        public virtual ReadinessProbe Through(IReadOnlyList<PortForward> written, IReadOnlyList<PortForward> now) => this;

        /// <summary>Where the probe connects from the host for <paramref name="target"/> (null for probes that do not connect); throws when there is nowhere.</summary>
        internal virtual ProbeEndpoint? Reach(ProbeTarget target) => null;

        /// <summary>A session of checks against <paramref name="target"/> (it remembers what it read of the console).</summary>
        internal abstract ProbeSession Open(ProbeTarget target);

        private static int Port(string probe, string digits, string form)
        {
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
            {
                throw Invalid(probe, $"the port of {form} must be a number from 1 to 65535");
            }
            return port;
        }

        private static Regex Pattern(string probe, string pattern)
        {
            if (pattern.Length == 0)
            {
                throw Invalid(probe, "console: needs a regular expression after it (console:^listening)");
            }
            try
            {
                return new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout);
            }
            catch (ArgumentException e)
            {
                throw Invalid(probe, "its regular expression is not valid: " + e.Message);
            }
        }

        private static ReadinessProbe ParseUrl(string probe, string scheme)
        {
            if (!scheme.Equals("http", StringComparison.OrdinalIgnoreCase))
            {
                string why = scheme.Equals("https", StringComparison.OrdinalIgnoreCase)
                    ? "https is not probed (no certificate of a guest is known to the host): probe http:// or tcp:PORT"
                    : $"a {scheme}:// address is not a probe: only http:// is";
                throw Invalid(probe, why);
            }
            if (probe.Any(c => c <= ' ' || c >= 127))
            {
                throw Invalid(probe, "an http probe is plain ASCII with no spaces or control characters");
            }
            string rest = probe.Substring(7);
            int end = rest.IndexOfAny(new[] { '/', '?', '#' });
            string authority = end < 0 ? rest : rest.Substring(0, end);
            if (authority.IndexOf('@') >= 0)
            {
                throw Invalid(probe, "an http probe carries no user name or password");
            }
            int colon = authority.LastIndexOf(':');
            if (colon < 0 || authority.EndsWith("]", StringComparison.Ordinal))
            {
                throw Invalid(probe, "write the port (http://127.0.0.1:8080/): the probe connects to the forward's host port, never to a guessed one");
            }
            int port = Port(probe, authority.Substring(colon + 1), "http://ADDRESS:PORT/");
            string host = authority.Substring(0, colon);
            string literal = host.StartsWith("[", StringComparison.Ordinal) && host.EndsWith("]", StringComparison.Ordinal) ? host.Substring(1, host.Length - 2) : host;
            bool localhost = host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
            // A literal address only: IPv6 in brackets, IPv4 as four numbers (IPAddress would read "10.1" as 10.0.0.1).
            IPAddress? address = localhost ? IPAddress.Loopback
                : IPAddress.TryParse(literal, out var ip) && (literal.IndexOf(':') >= 0) == (host != literal) && (host != literal || literal.Count(c => c == '.') == 3) ? ip : null;
            if (address == null)
            {
                throw Invalid(probe, $"'{host}' is not an address: write a literal IP address (127.0.0.1, [::1]) or localhost; host names are not looked up");
            }
            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                throw Invalid(probe, $"'{host}' is no address to connect to: write the one to ask (127.0.0.1 for a forward on every interface)");
            }
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri))
            {
                throw Invalid(probe, "it is not an http address");
            }
            string text = $"http://{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : localhost ? "localhost" : address.ToString())}:{port}{uri.PathAndQuery}";
            return new HttpProbe(text, address, port, uri.PathAndQuery);
        }

        internal static OsvException Invalid(string probe, string why)
            => new OsvException(ErrorIds.ReadinessProbeInvalid, OsvErrorKind.InvalidArgument, $"'{probe}' is not a readiness probe: {why}. ({Forms}.)", probe);
    }

    /// <summary>Where a probe connects from the host: an address and port, and whether through a forward.</summary>
    internal sealed class ProbeEndpoint
    {
        public ProbeEndpoint(IPEndPoint endpoint, PortForward? forward)
        {
            Endpoint = endpoint;
            Forward = forward;
        }

        public IPEndPoint Endpoint { get; }
        /// <summary>The forward the connection goes through (null when it reaches the guest directly).</summary>
        public PortForward? Forward { get; }
    }
}
