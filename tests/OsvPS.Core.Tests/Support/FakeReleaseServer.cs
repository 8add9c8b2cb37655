using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OsvPS.Core.Tests.Support
{
    /// <summary>
    /// A release source on 127.0.0.1 for the tests: a releases JSON in GitHub's shape and the assets,
    /// with switches for the failures a real source has (cut connections, wrong sizes, 404, rate limits).
    /// </summary>
    public sealed class FakeReleaseServer : IDisposable
    {
        private readonly TcpListener listener;
        private readonly CancellationTokenSource stop = new CancellationTokenSource();
        public readonly Dictionary<string, byte[]> Assets = new Dictionary<string, byte[]>();
        public readonly List<(string Tag, string[] Assets)> Releases = new List<(string, string[])>();
        public readonly ConcurrentQueue<string> Requests = new ConcurrentQueue<string>();
        /// <summary>Cut the connection after this many bytes of an asset body (once).</summary>
        public int? CutAfter;
        /// <summary>Announce this size in the JSON instead of the real one.</summary>
        public long? LieAboutSize;
        public bool RateLimited;
        public string? RawJson;
        /// <summary>Give no size, neither in the JSON nor as Content-Length (the body ends when the connection closes).</summary>
        public bool NoSize;
        /// <summary>Send this many bytes of an asset body, then nothing more (the connection stays open) until disposed.</summary>
        public int? StallAfter;
        /// <summary>ETags of assets; a Range request with an If-Range that differs gets the whole new body.</summary>
        public readonly Dictionary<string, string> ETags = new Dictionary<string, string>();
        /// <summary>The <c>digest</c> the JSON publishes for an asset (e.g. <c>sha256:...</c>).</summary>
        public readonly Dictionary<string, string> Digests = new Dictionary<string, string>();
        /// <summary>The address the JSON gives for an asset instead of this server's.</summary>
        public readonly Dictionary<string, string> AssetUrls = new Dictionary<string, string>();
        /// <summary>Requests for a path here are answered 302 with this Location.</summary>
        public readonly Dictionary<string, string> Redirects = new Dictionary<string, string>();
        /// <summary>Release JSON with no Content-Length that never ends (a stream of releases), until the client goes.</summary>
        public bool EndlessJson;
        /// <summary>Announce this Content-Length for release JSON (and send the real body).</summary>
        public long? JsonLength;
        /// <summary>Send asset bodies one byte at a time, this far apart.</summary>
        public TimeSpan? Drip;
        /// <summary>Send release JSON one byte at a time, this far apart.</summary>
        public TimeSpan? DripJson;
        /// <summary>Called with the asset's name after its headers were sent and before its body.</summary>
        public Action<string>? BeforeBody;

        public FakeReleaseServer()
        {
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Task.Run(Loop);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/releases";

        private async Task Loop()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await listener.AcceptTcpClientAsync(); } catch { return; }
                _ = Task.Run(() => Serve(client));
            }
        }

        private string ReleaseJson(string tag, string[] names)
            => "{\"tag_name\": \"" + tag + "\", \"published_at\": \"2024-01-02T03:04:05Z\", \"assets\": [" +
               string.Join(", ", names.Select(n => "{\"name\": \"" + n + "\", " + (NoSize ? "" : "\"size\": " + (LieAboutSize ?? Assets[n].Length) + ", ") +
                   (Digests.TryGetValue(n, out var digest) ? "\"digest\": \"" + digest + "\", " : "") +
                   "\"browser_download_url\": \"" + (AssetUrls.TryGetValue(n, out var url) ? url : Url.Replace("/releases", "/assets/") + n) + "\"}")) + "]}";

        private void Serve(TcpClient client)
        {
            using (client)
            using (var stream = client.GetStream())
            {
                var header = new StringBuilder();
                var one = new byte[1];
                while (!header.ToString().EndsWith("\r\n\r\n") && stream.Read(one, 0, 1) == 1) header.Append((char)one[0]);
                var lines = header.ToString().Split("\r\n");
                string path = lines[0].Split(' ')[1];
                string? range = lines.FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase));
                string? ifRange = lines.FirstOrDefault(l => l.StartsWith("If-Range:", StringComparison.OrdinalIgnoreCase))?.Substring(9).Trim();
                Requests.Enqueue(path + (range != null ? " " + range : ""));
                void Reply(int status, string reason, byte[] body, string extra = "", int? cut = null, long? length = null)
                {
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Length: {length ?? body.Length}\r\nConnection: close\r\n{extra}\r\n");
                    stream.Write(head, 0, head.Length);
                    if (path.StartsWith("/assets/")) BeforeBody?.Invoke(path.Substring(8));
                    if ((path.StartsWith("/assets/") ? Drip : DripJson) is TimeSpan gap)
                    {
                        for (int i = 0; i < (cut ?? body.Length) && !stop.IsCancellationRequested; i++) { stream.Write(body, i, 1); stop.Token.WaitHandle.WaitOne(gap); }
                        return;
                    }
                    stream.Write(body, 0, cut ?? body.Length);
                }
                if (Redirects.TryGetValue(path, out var location))
                {
                    Reply(302, "Found", new byte[0], $"Location: {location}\r\n");
                    return;
                }
                if (EndlessJson && path.StartsWith("/releases"))
                {
                    var head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[");
                    var release = Encoding.ASCII.GetBytes("{\"tag_name\": \"v0\", \"assets\": []},");
                    try
                    {
                        stream.Write(head, 0, head.Length);
                        while (!stop.IsCancellationRequested) stream.Write(release, 0, release.Length);
                    }
                    catch (Exception e) when (e is System.IO.IOException || e is ObjectDisposedException) { }
                    return;
                }
                if (RateLimited)
                {
                    Reply(403, "Forbidden", Encoding.UTF8.GetBytes("{\"message\": \"API rate limit exceeded\"}"), "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 1893456000\r\n");
                    return;
                }
                if (path.StartsWith("/releases"))
                {
                    string rest = path.Substring("/releases".Length);
                    string? json = RawJson;
                    if (json == null)
                    {
                        if (rest == "" || rest == "/") json = "[" + string.Join(", ", Releases.Select(r => ReleaseJson(r.Tag, r.Assets))) + "]";
                        else if (rest == "/latest" && Releases.Count > 0) json = ReleaseJson(Releases[0].Tag, Releases[0].Assets);
                        else if (rest.StartsWith("/tags/") && Releases.Any(r => r.Tag == rest.Substring(6))) { var r = Releases.First(x => x.Tag == rest.Substring(6)); json = ReleaseJson(r.Tag, r.Assets); }
                    }
                    if (json == null) { Reply(404, "Not Found", Encoding.UTF8.GetBytes("{\"message\": \"Not Found\"}")); return; }
                    Reply(200, "OK", Encoding.UTF8.GetBytes(json), "Content-Type: application/json\r\n", length: JsonLength);
                    return;
                }
                if (path.StartsWith("/assets/") && Assets.TryGetValue(path.Substring(8), out var data))
                {
                    string name = path.Substring(8);
                    string etag = ETags.TryGetValue(name, out var e) ? $"ETag: {e}\r\n" : "";
                    if (NoSize)
                    {
                        var head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                        stream.Write(head, 0, head.Length);
                        stream.Write(data, 0, data.Length);
                        return;
                    }
                    if (StallAfter is int stall)
                    {
                        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {data.Length}\r\nConnection: close\r\n\r\n");
                        stream.Write(head, 0, head.Length);
                        stream.Write(data, 0, stall);
                        stop.Token.WaitHandle.WaitOne();
                        return;
                    }
                    if (range != null && (ifRange == null || ETags.TryGetValue(name, out var current) && current == ifRange))
                    {
                        long from = long.Parse(range.Split('=')[1].TrimEnd('-').Trim());
                        Reply(206, "Partial Content", data.Skip((int)from).ToArray(), $"Content-Range: bytes {from}-{data.Length - 1}/{data.Length}\r\n");
                        return;
                    }
                    int? cut = CutAfter;
                    CutAfter = null;
                    Reply(200, "OK", data, etag, cut);
                    return;
                }
                Reply(404, "Not Found", new byte[0]);
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
        }
    }
}
