using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Qemu
{
    /// <summary>A client of QEMU's machine protocol (QMP) over its Unix socket.</summary>
    internal sealed class QmpClient : IDisposable
    {
        private readonly Socket socket;
        private readonly StreamReader reader;
        private readonly Stream stream;

        private QmpClient(Socket socket)
        {
            this.socket = socket;
            stream = new NetworkStream(socket, true);
            reader = new StreamReader(stream, new UTF8Encoding(false));
        }

        /// <summary>Connects, reads the greeting and negotiates capabilities; retries until <paramref name="timeout"/>.</summary>
        public static QmpClient Connect(string socketPath, TimeSpan timeout, CancellationToken cancellation, Func<bool>? stillWorthTrying = null)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                Socket? s = null;
                try
                {
                    s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    s.ReceiveTimeout = (int)Math.Max(1000, timeout.TotalMilliseconds);
                    s.SendTimeout = s.ReceiveTimeout;
                    // QEMU takes one monitor client at a time: a connect queued behind another client's waits, so it is
                    // bounded too (a plain Connect would wait as long as that client stays).
                    var connecting = s.ConnectAsync(UnixEndPoint(socketPath));
                    var left = deadline - DateTime.UtcNow;
                    if (!((IAsyncResult)connecting).AsyncWaitHandle.WaitOne(left > TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200)))
                    {
                        throw new IOException("the monitor did not take the connection (another client holds it).");
                    }
                    connecting.GetAwaiter().GetResult(); // a refused or missing socket throws its SocketException here
                    CheckPeer(s, socketPath);
                    var client = new QmpClient(s);
                    var greeting = client.ReadMessage();
                    if (greeting == null || !greeting.IsGreeting)
                    {
                        throw new IOException("the socket did not greet with QMP.");
                    }
                    client.Execute("qmp_capabilities");
                    return client;
                }
                catch (Exception e) when (e is SocketException || e is IOException)
                {
                    s?.Dispose();
                    if (DateTime.UtcNow > deadline || (stillWorthTrying != null && !stillWorthTrying()))
                    {
                        throw new OsvException(ErrorIds.QmpUnavailable, OsvErrorKind.ConnectionError,
                            $"cannot talk to QEMU's monitor at '{socketPath}': {e.Message}", socketPath, e);
                    }
                    // QEMU opens the socket within tens of milliseconds; poll finely so a start costs little.
                    Thread.Sleep(5);
                }
            }
        }

        // The monitor must be served by a process of this user (QEMU runs as the caller): a socket left
        // or taken over by someone else is refused, whoever answers on it.
        private static void CheckPeer(Socket socket, string socketPath)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                return;
            }
            const int SolSocket = 1, SoPeerCred = 17;
            var credentials = new byte[12];
            int length = credentials.Length;
            if (IO.Libc.GetSockOpt(socket.Handle.ToInt32(), SolSocket, SoPeerCred, credentials, ref length) != 0)
            {
                return; // not a Unix socket peer we can ask (tests' fake servers on other systems)
            }
            uint uid = BitConverter.ToUInt32(credentials, 4);
            if (uid != IO.HostProcess.UserId)
            {
                throw new OsvException(ErrorIds.QmpPeerInvalid, OsvErrorKind.SecurityError,
                    $"the monitor socket '{socketPath}' is served by user {uid}, not by this user's QEMU; it is not used.", socketPath);
            }
        }

        private static EndPoint UnixEndPoint(string path)
        {
            var type = Type.GetType("System.Net.Sockets.UnixDomainSocketEndPoint, System.Net.Sockets")
                ?? Type.GetType("System.Net.Sockets.UnixDomainSocketEndPoint, System")
                ?? throw new PlatformNotSupportedException("this .NET has no Unix domain sockets; QMP needs PowerShell 7.");
            return (EndPoint)Activator.CreateInstance(type, path)!;
        }

        /// <summary>Runs a command and returns its <c>return</c> value; a QMP error becomes an exception.</summary>
        public JsonElement Execute(string command, Dictionary<string, object>? arguments = null)
        {
            byte[] request = JsonSerializer.SerializeToUtf8Bytes(new QmpRequest { Execute = command, Arguments = arguments });
            stream.Write(request, 0, request.Length);
            stream.WriteByte((byte)'\n');
            stream.Flush();
            while (true)
            {
                var reply = ReadMessage() ?? throw new IOException($"QEMU closed the monitor during '{command}'.");
                if (reply.Event != null)
                {
                    continue;
                }
                if (reply.Error != null)
                {
                    throw new OsvException(ErrorIds.QmpCommandFailed, OsvErrorKind.InvalidOperation, $"QEMU refused '{command}': {reply.Error.Description}", command);
                }
                if (reply.IsReturn)
                {
                    return reply.Return;
                }
            }
        }

        /// <summary><c>pmemsave</c>: <paramref name="size"/> bytes of the guest's physical memory from <paramref name="address"/> into <paramref name="file"/> (written by QEMU).</summary>
        public void SavePhysicalMemory(ulong address, ulong size, string file)
            => Execute("pmemsave", new Dictionary<string, object> { ["val"] = address, ["size"] = size, ["filename"] = file });

        /// <summary><c>query-status</c>: the VM's run state, e.g. <c>running</c>, <c>paused</c>, <c>shutdown</c>.</summary>
        public string QueryStatus()
        {
            var result = Execute("query-status");
            return result.ValueKind == JsonValueKind.Object && result.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
                ? status.GetString() ?? "unknown"
                : "unknown";
        }

        public void PowerDown() => Execute("system_powerdown");

        /// <summary>Asks QEMU to exit; the connection closing before the reply is fine.</summary>
        public void Quit()
        {
            try
            {
                Execute("quit");
            }
            catch (IOException)
            {
            }
        }

        private QmpMessage? ReadMessage()
        {
            string? line = reader.ReadLine();
            if (line == null)
            {
                return null;
            }
            try
            {
                return JsonSerializer.Deserialize<QmpMessage>(line, JsonLimits.Options) ?? throw new IOException("QEMU sent 'null' on its monitor.");
            }
            catch (JsonException e)
            {
                throw new IOException("QEMU sent malformed JSON: " + e.Message, e);
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            socket.Dispose();
        }
    }
}
