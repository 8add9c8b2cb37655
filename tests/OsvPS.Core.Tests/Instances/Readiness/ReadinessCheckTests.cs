using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using OsvPS.Core.Instances.Readiness;
using OsvPS.Core.Qemu;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Instances.Readiness
{
    /// <summary>
    /// Probes checked against real listeners on 127.0.0.1, set up here: a plain listener, one that closes every
    /// connection at once (what QEMU's user networking does while nothing listens in the guest), and a small HTTP
    /// server answering 200, 500, 302 or nothing.
    /// </summary>
    public sealed class ReadinessCheckTests : IDisposable
    {
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        private static ProbeResult Check(string probe, ProbeTarget target, TimeSpan? deadline = null)
        {
            using (var session = ReadinessProbe.Parse(probe).Open(target))
            {
                return session.Check(deadline ?? Deadline, CancellationToken.None);
            }
        }

        private ProbeTarget Forwarded(int hostPort, int guestPort, string console)
            => new ProbeTarget("web", new[] { new PortForward("tcp", hostPort, guestPort) }, dir.File("console-" + hostPort + ".log", console));

        private static TcpListener Listen()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }

        private static int PortOf(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

        // Test servers block on their sockets: each on a thread of its own, so the probes' timers never wait for the thread pool.
        private static Thread Serve(Action loop)
        {
            var thread = new Thread(() => loop()) { IsBackground = true };
            thread.Start();
            return thread;
        }

        // A loopback port nothing listens on now.
        private static int FreePort()
        {
            var listener = Listen();
            int port = PortOf(listener);
            listener.Stop();
            return port;
        }

        [Fact]
        public void TcpAtTheGuestsOwnAddressIsReadyWhenAConnectSucceedsAndNotWhenRefused()
        {
            var listener = Listen();
            int port = PortOf(listener);
            var direct = new ProbeTarget("web", new PortForward[0], null, guestAddress: IPAddress.Loopback);
            var ready = Check("tcp:" + port, direct);
            Assert.True(ready.Ready, ready.Detail);
            Assert.Equal($"connected to 127.0.0.1:{port}", ready.Detail);
            listener.Stop();

            var refused = Check("tcp:" + port, direct);
            Assert.False(refused.Ready);
            Assert.Equal($"connection refused at 127.0.0.1:{port}", refused.Detail);
        }

        [Fact]
        public void TcpThroughAForwardNeedsTheGuestsNetworkUpThenAConnectionHeldOpen()
        {
            var listener = Listen();
            int port = PortOf(listener);
            var accepted = new ConcurrentQueue<Socket>();
            var serving = Serve(() =>
            {
                while (true)
                {
                    try { accepted.Enqueue(listener.AcceptSocket()); } catch (Exception e) when (e is SocketException || e is ObjectDisposedException || e is InvalidOperationException) { return; }
                }
            });
            try
            {
                // Before OSv's eth0 line, no connection is even tried: QEMU would hold it unanswered whatever listens.
                var booting = Check("tcp:80", Forwarded(port, 80, "OSv v0.57.0-398-g0e34e4dc\n"));
                Assert.False(booting.Ready);
                Assert.Equal("the guest's network is not up yet (no eth0 line on its console)", booting.Detail);
                Assert.Empty(accepted);

                var up = Check("tcp:80", Forwarded(port, 80, "OSv v0.57.0-398-g0e34e4dc\neth0: 192.168.122.15\nBooted up in 0.00 ms\n"));
                Assert.True(up.Ready, up.Detail);
                Assert.Equal($"connected to 127.0.0.1:{port} (guest port 80), held", up.Detail);
                Assert.Single(accepted);

                // With less time left than the hold takes (a wait's last try), a held connection proves nothing:
                // a guest slow to refuse holds one that long too.
                var late = Check("tcp:80", Forwarded(port, 80, "eth0: 192.168.122.15\n"), TimeSpan.FromMilliseconds(450));
                Assert.False(late.Ready);
                Assert.Equal($"127.0.0.1:{port} (guest port 80): the connection was held for the 450 ms left, less than the 500 ms that tell a listener", late.Detail);
            }
            finally
            {
                listener.Stop();
                serving.Join(TimeSpan.FromSeconds(10));
                foreach (var socket in accepted) socket.Dispose();
            }
        }

        [Fact]
        public void TcpThroughAForwardThatClosesAtOnceIsNotReady()
        {
            // What QEMU's user networking does while nothing listens on the guest port: accept, then close.
            var listener = Listen();
            int port = PortOf(listener);
            var serving = Serve(() =>
            {
                while (true)
                {
                    try { listener.AcceptSocket().Dispose(); } catch (Exception e) when (e is SocketException || e is ObjectDisposedException || e is InvalidOperationException) { return; }
                }
            });
            try
            {
                var result = Check("tcp:80", Forwarded(port, 80, "eth0: 192.168.122.15\n"));
                Assert.False(result.Ready);
                Assert.Equal($"127.0.0.1:{port} (guest port 80): the forward closed the connection at once (nothing listens on guest port 80 yet)", result.Detail);
            }
            finally
            {
                listener.Stop();
                serving.Join(TimeSpan.FromSeconds(10));
            }
        }

        [Fact]
        public void TcpThroughAForwardIsReadyWhenTheGuestSpeaksFirst()
        {
            using (var server = new RawServer(_ => "220 ready\r\n", readRequest: false))
            {
                var result = Check("tcp:25", Forwarded(server.Port, 25, "eth0: 192.168.122.15\n"));
                Assert.True(result.Ready, result.Detail);
                Assert.EndsWith("the guest spoke first", result.Detail);
            }
        }

        [Theory]
        [InlineData("200 OK", true, "HTTP 200")]
        [InlineData("204 No Content", true, "HTTP 204")]
        [InlineData("500 Internal Server Error", false, "HTTP 500")]
        [InlineData("404 Not Found", false, "HTTP 404")]
        [InlineData("302 Found\r\nLocation: http://elsewhere.example/login", true, "HTTP 302 (to http://elsewhere.example/login, not followed)")]
        public void HttpIsReadyOnA2xxOr3xxAnswerAndFollowsNoRedirect(string status, bool ready, string detail)
        {
            using (var server = new RawServer(_ => $"HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok"))
            {
                var result = Check($"http://127.0.0.1:{server.Port}/health?full=1", Forwarded(server.Port, 8000, ""));
                Assert.Equal(ready, result.Ready);
                Assert.Equal(detail, result.Detail);
                // One request, to the path written, at the address written: a redirect is not followed.
                Assert.Single(server.Requests);
                Assert.StartsWith("GET /health?full=1 HTTP/1.0\r\nHost: 127.0.0.1:" + server.Port + "\r\n", server.Requests.ToArray()[0]);
            }
        }

        [Fact]
        public void HttpWithNoAnswerGarbageOrAClosedConnectionIsNotReady()
        {
            using (var silent = new RawServer(_ => null))
            {
                var result = Check($"http://127.0.0.1:{silent.Port}/", Forwarded(silent.Port, 80, ""), TimeSpan.FromMilliseconds(300));
                Assert.False(result.Ready);
                // (On a loaded machine the connect itself may use up the 0.3 s.)
                Assert.Matches(@"^no (answer|connection to 127\.0\.0\.1:\d+) within 0\.3 s", result.Detail);
            }
            using (var garbage = new RawServer(_ => "SSH-2.0-OpenSSH_9.2\r\n\r\n"))
            {
                var result = Check($"http://127.0.0.1:{garbage.Port}/", Forwarded(garbage.Port, 80, ""));
                Assert.False(result.Ready);
                Assert.Equal("not an HTTP answer: SSH-2.0-OpenSSH_9.2", result.Detail);
            }
            using (var closing = new RawServer(_ => ""))
            {
                var result = Check($"http://127.0.0.1:{closing.Port}/", Forwarded(closing.Port, 80, ""));
                Assert.False(result.Ready);
                Assert.StartsWith("the connection closed before an answer", result.Detail);
            }
            int free = FreePort();
            var refused = Check($"http://127.0.0.1:{free}/", Forwarded(free, 80, ""));
            Assert.False(refused.Ready);
            Assert.StartsWith($"connection refused at 127.0.0.1:{free}", refused.Detail);
        }

        [Fact]
        public void HttpReadsOnlyTheAnswersHeadWhateverTheServerSends()
        {
            // Headers that never end: the probe stops at its bound and judges the status line it has.
            var endless = "HTTP/1.1 200 OK\r\n" + new StringBuilder().Insert(0, "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 64 * 1024);
            using (var server = new RawServer(_ => endless))
            {
                var result = Check($"http://127.0.0.1:{server.Port}/", Forwarded(server.Port, 80, ""));
                Assert.True(result.Ready, result.Detail);
                Assert.Equal("HTTP 200", result.Detail);
            }
        }

        [Fact]
        public void ConsoleIsReadyOnceALineTheUserReadsMatches()
        {
            string console = dir.File("console.log", "OSv v0.57.0\nreadysrv: waiting 5 s\n");
            var target = new ProbeTarget("web", new PortForward[0], console);
            using (var session = ReadinessProbe.Parse(@"console:^readysrv: listening on \d+$").Open(target))
            {
                var before = session.Check(Deadline, CancellationToken.None);
                Assert.False(before.Ready);
                Assert.Equal("no such line yet", before.Detail);

                File.AppendAllText(console, "readysrv: listen");
                Assert.False(session.Check(Deadline, CancellationToken.None).Ready);
                File.AppendAllText(console, "ing on 8000\nmore\n");
                var after = session.Check(Deadline, CancellationToken.None);
                Assert.True(after.Ready);
                Assert.Equal("line: readysrv: listening on 8000", after.Detail);
            }
        }

        [Fact]
        public void ConsoleMatchesWhatTheUserReadsNotOsvsDebugLines()
        {
            // Under --verbose OsvPS keeps OSv's chatter from the reader; a probe does not match it either.
            string console = dir.File("verbose.log", "OSv v0.57.0\nCmdline: /x\nVFS: unmounting /dev\n");
            var target = new ProbeTarget("web", new PortForward[0], console, hidesDebugLines: true);
            Assert.False(Check("console:unmounting", target).Ready);
            Assert.True(Check("console:^Cmdline:", target).Ready);
        }

        [Fact]
        public void ACancelledCheckStopsAtOnce()
        {
            using (var silent = new RawServer(_ => null))
            using (var session = ReadinessProbe.Parse($"http://127.0.0.1:{silent.Port}/").Open(Forwarded(silent.Port, 80, "")))
            using (var cancel = new CancellationTokenSource())
            {
                cancel.CancelAfter(100);
                Assert.ThrowsAny<OperationCanceledException>(() => session.Check(TimeSpan.FromMinutes(10), cancel.Token));
            }
        }

        /// <summary>A TCP server on 127.0.0.1 that reads a request (up to its blank line) and writes what <c>answer</c> gives (null: nothing, and holds the connection).</summary>
        private sealed class RawServer : IDisposable
        {
            private readonly TcpListener listener = Listen();
            private readonly Thread serving;
            private readonly ConcurrentBag<Socket> held = new ConcurrentBag<Socket>();

            public RawServer(Func<string, string?> answer, bool readRequest = true)
            {
                serving = Serve(() =>
                {
                    while (true)
                    {
                        Socket socket;
                        try { socket = listener.AcceptSocket(); } catch (Exception e) when (e is SocketException || e is ObjectDisposedException || e is InvalidOperationException) { return; }
                        string request = "";
                        var buffer = new byte[4096];
                        while (readRequest && !request.Contains("\r\n\r\n"))
                        {
                            int n;
                            try { n = socket.Receive(buffer); } catch (SocketException) { break; }
                            if (n == 0) break;
                            request += Encoding.ASCII.GetString(buffer, 0, n);
                        }
                        if (readRequest) Requests.Enqueue(request);
                        string? text = answer(request);
                        if (text == null)
                        {
                            held.Add(socket);
                            continue;
                        }
                        try
                        {
                            socket.Send(Encoding.ASCII.GetBytes(text));
                            socket.Shutdown(SocketShutdown.Both);
                        }
                        catch (SocketException)
                        {
                            // The probe stopped reading (its bound) and closed: nothing more to send.
                        }
                        socket.Dispose();
                    }
                });
            }

            public int Port => PortOf(listener);

            public ConcurrentQueue<string> Requests { get; } = new ConcurrentQueue<string>();

            public void Dispose()
            {
                listener.Stop();
                serving.Join(TimeSpan.FromSeconds(10));
                foreach (var socket in held) socket.Dispose();
            }
        }
    }
}
