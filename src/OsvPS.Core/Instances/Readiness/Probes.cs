using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>The instance is running: nothing more is asked (its state is checked before any probe).</summary>
    internal sealed class RunningProbe : ReadinessProbe
    {
        public RunningProbe()
            : base("running")
        {
        }

        public override ReadinessProbeKind Kind => ReadinessProbeKind.Running;

        internal override ProbeSession Open(ProbeTarget target) => new Fixed(ProbeResult.Yes("Running"));

        private sealed class Fixed : ProbeSession
        {
            private readonly ProbeResult result;

            public Fixed(ProbeResult result) => this.result = result;

            public override ProbeResult Check(TimeSpan deadline, CancellationToken cancellation) => result;
        }
    }

    /// <summary>
    /// <c>tcp:PORT</c>: the guest's PORT takes a connection and holds it. Through a forward the host side always
    /// connects (QEMU's user networking, and passt, accept at once and close when the guest refuses), so the check
    /// waits for OSv's <c>eth0: ADDRESS</c> console line (before it a connection hangs unanswered, whatever listens),
    /// then needs the connection to stay open for <see cref="Settle"/> or the guest to speak first.
    /// </summary>
    internal sealed class TcpProbe : ReadinessProbe
    {
        /// <summary>How long a forwarded connection must stay open (a refused one closed within 5 ms on OSv under TCG).</summary>
        public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

        private static string Milliseconds(TimeSpan span) => ((int)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

        private static readonly Regex NetworkUp = new Regex(@"^eth0: \d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", RegexOptions.CultureInvariant);

        public TcpProbe(int port)
            : base("tcp:" + port.ToString(CultureInfo.InvariantCulture)) => Port = port;

        public override ReadinessProbeKind Kind => ReadinessProbeKind.Tcp;

        /// <summary>The guest's port.</summary>
        public int Port { get; }

        internal override ProbeEndpoint? Reach(ProbeTarget target)
        {
            if (target.GuestAddress != null)
            {
                return new ProbeEndpoint(new IPEndPoint(target.GuestAddress, Port), null);
            }
            var forward = target.Forwards.FirstOrDefault(f => f.Protocol == "tcp" && f.GuestPort == Port);
            if (forward == null)
            {
                throw new OsvException(ErrorIds.ReadinessProbeUnreachable, OsvErrorKind.InvalidArgument,
                    $"{Text}: instance '{target.Name}' forwards no tcp port to guest port {Port} (its forwards: {target.ForwardsText}); start it with -Forward HOSTPORT:{Port}, "
                    + "and on a libvirt host check that the instance's Forwards list it.", Text);
            }
            return new ProbeEndpoint(new IPEndPoint(ProbeTarget.ConnectAddress(forward), forward.HostPort), forward);
        }

        internal override ProbeSession Open(ProbeTarget target) => new Session(this, target, Reach(target)!);

        private sealed class Session : ProbeSession
        {
            private readonly TcpProbe probe;
            private readonly ProbeEndpoint endpoint;
            private readonly ConsoleScan? console;
            private bool networkUp;

            public Session(TcpProbe probe, ProbeTarget target, ProbeEndpoint endpoint)
            {
                this.probe = probe;
                this.endpoint = endpoint;
                networkUp = endpoint.Forward == null || target.ConsolePath == null;
                console = networkUp ? null : new ConsoleScan(target);
            }

            public override ProbeResult Check(TimeSpan deadline, CancellationToken cancellation)
            {
                if (!networkUp)
                {
                    networkUp = console!.Find((raw, shown) => NetworkUp.IsMatch(raw));
                    if (!networkUp)
                    {
                        return ProbeResult.No("the guest's network is not up yet (no eth0 line on its console)");
                    }
                }
                string where = $"{HostSocket.Show(endpoint.Endpoint)}" + (endpoint.Forward == null ? "" : $" (guest port {probe.Port})");
                using (var socket = HostSocket.Connect(endpoint.Endpoint, deadline, cancellation, out string detail))
                {
                    if (socket == null)
                    {
                        return ProbeResult.No(detail);
                    }
                    if (endpoint.Forward == null)
                    {
                        return ProbeResult.Yes("connected to " + where);
                    }
                    var settle = deadline < Settle ? deadline : Settle;
                    if (!HostSocket.Holds(socket, settle, out string how))
                    {
                        return ProbeResult.No($"{where}: the forward closed the connection at once (nothing listens on guest port {probe.Port} yet)");
                    }
                    // A shorter hold (a wait's last try) proves nothing: a guest slow to refuse (TCG, a busy host) holds one that long too.
                    return settle < Settle && how == "held"
                        ? ProbeResult.No($"{where}: the connection was held for the {Milliseconds(settle)} ms left, less than the {Milliseconds(Settle)} ms that tell a listener")
                        : ProbeResult.Yes($"connected to {where}, {how}");
                }
            }

            public override void Dispose() => console?.Dispose();
        }
    }

    /// <summary>
    /// <c>http://ADDRESS:PORT/PATH</c>: a GET of PATH at the address written answers 2xx or 3xx. Plain HTTP/1.0 on a
    /// socket of its own (no proxy settings, no redirect followed: a 3xx is an answer), reading at most the answer's
    /// head. For an instance, ADDRESS:PORT must be the host side of one of its forwards.
    /// </summary>
    internal sealed class HttpProbe : ReadinessProbe
    {
        /// <summary>The most of an answer read: its status line and headers.</summary>
        public const int MaxHead = 8 * 1024;

        private static readonly Regex StatusLine = new Regex(@"^HTTP/1\.[01] (?<code>[1-5]\d\d)(?: |\r\n)", RegexOptions.CultureInvariant);

        public HttpProbe(string text, IPAddress address, int port, string pathAndQuery)
            : base(text)
        {
            Address = address;
            Port = port;
            PathAndQuery = pathAndQuery;
        }

        public override ReadinessProbeKind Kind => ReadinessProbeKind.Http;

        public IPAddress Address { get; }
        public int Port { get; }
        public string PathAndQuery { get; }

        internal override ProbeEndpoint? Reach(ProbeTarget target)
        {
            var endpoint = new IPEndPoint(Address, Port);
            if (target.GuestAddress != null)
            {
                return new ProbeEndpoint(endpoint, null);
            }
            var forward = target.Forwards.FirstOrDefault(f => f.Protocol == "tcp" && f.HostPort == Port &&
                (ProbeTarget.ConnectAddress(f).Equals(Address) || (IPAddress.Parse(f.HostAddress).Equals(IPAddress.Any) && Address.AddressFamily == AddressFamily.InterNetwork)));
            if (forward == null)
            {
                throw new OsvException(ErrorIds.ReadinessProbeUnreachable, OsvErrorKind.InvalidArgument,
                    $"{Text}: no forward of instance '{target.Name}' listens on {HostSocket.Show(endpoint)} (its forwards: {target.ForwardsText}); "
                    + $"write the host side of one of them, or start the instance with -Forward {Port}:GUESTPORT.", Text);
            }
            return new ProbeEndpoint(endpoint, forward);
        }

        internal override ProbeSession Open(ProbeTarget target) => new Session(this, Reach(target)!);

        public override ReadinessProbe Through(IReadOnlyList<PortForward> written, IReadOnlyList<PortForward> now)
        {
            var from = written.FirstOrDefault(f => f.Protocol == "tcp" && f.HostPort == Port);
            var to = from == null ? null : now.FirstOrDefault(f => f.Protocol == "tcp" && f.GuestPort == from.GuestPort);
            if (to == null)
            {
                return this;
            }
            var address = ProbeTarget.ConnectAddress(to);
            string host = address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();
            return new HttpProbe($"http://{host}:{to.HostPort}{PathAndQuery}", address, to.HostPort, PathAndQuery);
        }

        private sealed class Session : ProbeSession
        {
            private readonly HttpProbe probe;
            private readonly ProbeEndpoint endpoint;

            public Session(HttpProbe probe, ProbeEndpoint endpoint)
            {
                this.probe = probe;
                this.endpoint = endpoint;
            }

            public override ProbeResult Check(TimeSpan deadline, CancellationToken cancellation)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using (var socket = HostSocket.Connect(endpoint.Endpoint, deadline, cancellation, out string detail))
                {
                    if (socket == null)
                    {
                        return ProbeResult.No(detail);
                    }
                    string host = HostSocket.Show(endpoint.Endpoint);
                    string request = $"GET {probe.PathAndQuery} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: OsvPS-readiness\r\nAccept: */*\r\nConnection: close\r\n\r\n";
                    var left = deadline - clock.Elapsed;
                    string? head = HostSocket.Exchange(socket, request, MaxHead, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), deadline, cancellation, out detail);
                    if (head == null)
                    {
                        return ProbeResult.No(detail + (endpoint.Forward == null ? "" : " (nothing answers in the guest yet)"));
                    }
                    var m = StatusLine.Match(head);
                    if (!m.Success)
                    {
                        return ProbeResult.No("not an HTTP answer: " + Printable(head.Split('\n')[0].TrimEnd('\r')));
                    }
                    int code = int.Parse(m.Groups["code"].Value, CultureInfo.InvariantCulture);
                    string status = "HTTP " + m.Groups["code"].Value;
                    if (code >= 300 && code < 400)
                    {
                        var location = Regex.Match(head, @"\r\nLocation: *(?<to>[^\r\n]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                        return ProbeResult.Yes(status + (location.Success ? $" (to {Printable(location.Groups["to"].Value)}, not followed)" : " (not followed)"));
                    }
                    return code >= 200 && code < 300 ? ProbeResult.Yes(status) : ProbeResult.No(status);
                }
            }

            private static string Printable(string text) => TextSafety.Printable(text.Length > 200 ? text.Substring(0, 200) + "..." : text);
        }
    }

    /// <summary><c>console:REGEX</c>: a console line, as the user reads it (Get-OsvInstanceLog), matches REGEX.</summary>
    internal sealed class ConsoleProbe : ReadinessProbe
    {
        public ConsoleProbe(Regex pattern)
            : base("console:" + pattern) => Pattern = pattern;

        public override ReadinessProbeKind Kind => ReadinessProbeKind.Console;

        public Regex Pattern { get; }

        internal override ProbeSession Open(ProbeTarget target) => new Session(this, target);

        private sealed class Session : ProbeSession
        {
            private readonly ConsoleProbe probe;
            private readonly ConsoleScan? console;
            private string? found;

            public Session(ConsoleProbe probe, ProbeTarget target)
            {
                this.probe = probe;
                console = target.ConsolePath == null ? null : new ConsoleScan(target);
            }

            public override ProbeResult Check(TimeSpan deadline, CancellationToken cancellation)
            {
                if (found == null && console != null)
                {
                    console.Find((raw, shown) =>
                    {
                        if (shown != null && Matches(shown))
                        {
                            found = shown;
                        }
                        return found != null;
                    });
                }
                return found != null
                    ? ProbeResult.Yes("line: " + TextSafety.Printable(found.Length > 200 ? found.Substring(0, 200) + "..." : found))
                    : ProbeResult.No(console == null ? "no console" : "no such line yet");
            }

            private bool Matches(string line)
            {
                try
                {
                    return probe.Pattern.IsMatch(line);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }
            }

            public override void Dispose() => console?.Dispose();
        }
    }
}
