using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OsvPS.Core.Errors;
using OsvPS.Core.Qemu;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Qemu
{
    /// <summary>The QMP client against a fake QMP server on a Unix socket the test opens.</summary>
    public sealed class QmpClientTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly List<string> received = new List<string>();

        public void Dispose() => dir.Dispose();

        private Task Serve(string path, Func<string, string?> reply, bool greet = true)
        {
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            return Task.Run(() =>
            {
                using var socket = listener.Accept();
                listener.Dispose();
                using var stream = new NetworkStream(socket);
                using var reader = new StreamReader(stream);
                var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\r\n" };
                if (greet) writer.WriteLine("{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}, \"capabilities\": []}}");
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    lock (received) received.Add(line);
                    string? answer = reply(line);
                    if (answer == null) return;
                    writer.WriteLine(answer);
                }
            });
        }

        [Fact]
        public void HandshakeQueryStatusAndPowerDown()
        {
            string path = dir.Combine("qmp.sock");
            var server = Serve(path, line =>
                line.Contains("query-status") ? "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n{\"return\": {\"status\": \"running\", \"running\": true}}"
                : "{\"return\": {}}");
            using (var client = QmpClient.Connect(path, TimeSpan.FromSeconds(5), CancellationToken.None))
            {
                Assert.Equal("running", client.QueryStatus()); // an event before the reply is skipped
                client.PowerDown();
            }
            server.Wait(5000);
            Assert.Equal(new[] { "qmp_capabilities", "query-status", "system_powerdown" },
                received.ConvertAll(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("execute").GetString()));
        }

        [Fact]
        public void QuitToleratesTheConnectionClosing()
        {
            string path = dir.Combine("q.sock");
            var server = Serve(path, line => line.Contains("quit") ? null : "{\"return\": {}}");
            using (var client = QmpClient.Connect(path, TimeSpan.FromSeconds(5), CancellationToken.None))
            {
                client.Quit();
            }
            Assert.True(server.Wait(5000));
        }

        [Fact]
        public void ErrorsBecomeExceptionsWithTheDescription()
        {
            string path = dir.Combine("e.sock");
            Serve(path, line => line.Contains("qmp_capabilities") ? "{\"return\": {}}" : "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no way\"}}");
            using var client = QmpClient.Connect(path, TimeSpan.FromSeconds(5), CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => client.Execute("system_powerdown"));
            Assert.Equal("QmpCommandFailed", e.ErrorId);
            Assert.Contains("no way", e.Message);
        }

        [Fact]
        public void NoServerGivesQmpUnavailableAfterTheTimeout()
        {
            var e = Assert.Throws<OsvException>(() => QmpClient.Connect(dir.Combine("none.sock"), TimeSpan.FromMilliseconds(200), CancellationToken.None));
            Assert.Equal("QmpUnavailable", e.ErrorId);
        }

        [Fact]
        public void NoGreetingIsNotQmp()
        {
            string path = dir.Combine("n.sock");
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            Task.Run(() => { using var s = listener.Accept(); s.Send(Encoding.ASCII.GetBytes("hello\n")); Thread.Sleep(500); });
            var e = Assert.Throws<OsvException>(() => QmpClient.Connect(path, TimeSpan.FromMilliseconds(300), CancellationToken.None));
            Assert.Equal("QmpUnavailable", e.ErrorId);
            listener.Dispose();
        }

        [Theory]
        [InlineData("{\"return\": {} extra")]
        [InlineData("[1,]")]
        [InlineData("\"open")]
        public void MalformedRepliesEndTheConnectionAsUnavailable(string reply)
        {
            string path = dir.Combine("m.sock");
            Serve(path, _ => reply);
            var e = Assert.Throws<OsvException>(() => QmpClient.Connect(path, TimeSpan.FromMilliseconds(300), CancellationToken.None));
            Assert.Equal("QmpUnavailable", e.ErrorId);
        }

        [Fact]
        public void ADeeplyNestedReplyIsRefusedWithoutExhaustingTheStack()
        {
            string path = dir.Combine("d.sock");
            string deep = "{\"return\": " + new string('[', 100_000) + new string(']', 100_000) + "}";
            Serve(path, _ => deep);
            var e = Assert.Throws<OsvException>(() => QmpClient.Connect(path, TimeSpan.FromMilliseconds(300), CancellationToken.None));
            Assert.Equal("QmpUnavailable", e.ErrorId); // and this process is still here: the reader stopped at its depth limit
        }
    }
}
