using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OsvPS.Core.Tests.Oci
{
    /// <summary>
    /// An in-memory distribution registry on 127.0.0.1 (plain HTTP, one request a connection), strict where
    /// the distribution registry is (a PATCH must start where the session is, a PUT's digest must be the
    /// bytes'), with the faults real ones have: a chunk or a blob download cut once, Bearer token auth,
    /// paged tag lists, an oversized manifest.
    /// </summary>
    public sealed class FakeRegistry : IDisposable
    {
        private readonly TcpListener listener;
        private readonly Dictionary<string, MemoryStream> uploads = new Dictionary<string, MemoryStream>();
        public readonly ConcurrentDictionary<string, byte[]> Blobs = new ConcurrentDictionary<string, byte[]>();
        public readonly ConcurrentDictionary<string, (byte[] Body, string Type)> Manifests = new ConcurrentDictionary<string, (byte[], string)>();
        public readonly ConcurrentQueue<string> Requests = new ConcurrentQueue<string>();
        public readonly ConcurrentQueue<string> TokenRequests = new ConcurrentQueue<string>();
        /// <summary>Cut the connection after half of the next PATCH body (the half is kept, as a registry does).</summary>
        public bool CutPatchOnce;
        /// <summary>Send half of the next GET of a blob over 64 KiB (a layer, not a config), then close.</summary>
        public bool CutBlobOnce;
        /// <summary>Ask for a Bearer token from /token, given for user:password only.</summary>
        public (string User, string Password)? Bearer;
        /// <summary>The token service the Bearer challenge names (default this server's /token).</summary>
        public string? Realm;
        public List<string> Tags = new List<string>();
        /// <summary>Each request as "METHOD path" and the Authorization it carried ("" for none).</summary>
        public readonly ConcurrentQueue<(string Request, string Authorization)> Authorizations = new ConcurrentQueue<(string, string)>();
        /// <summary>A hostile registry sends a layer's bytes one at a time, this many milliseconds apart (0: at once).</summary>
        public int DripBlobMs;
        /// <summary>A hostile registry takes a closing PUT's body and never answers.</summary>
        public bool SilentPut;
        private readonly ManualResetEventSlim stopping = new ManualResetEventSlim(false);
        /// <summary>A hostile registry's upload Location, with {id} for the session (default: its own /upload/{id}).</summary>
        public string? UploadLocation;
        /// <summary>A hostile registry's next-page address prefix, put before /v2/... (default: none, a relative Link).</summary>
        public string? NextPagePrefix;
        public int TagPage = 2;

        public FakeRegistry()
        {
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Task.Run(Loop);
        }

        public string Address => "127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port;

        public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

        private async Task Loop()
        {
            while (true)
            {
                TcpClient client;
                try { client = await listener.AcceptTcpClientAsync(); } catch { return; }
                _ = Task.Run(() => { try { Serve(client); } catch (IOException) { } catch (ObjectDisposedException) { } finally { client.Dispose(); } });
            }
        }

        private void Serve(TcpClient client)
        {
            var stream = client.GetStream();
            int first = stream.ReadByte();
            if (first < 0 || first == 0x16) return; // a TLS hello: a plain server refuses it
            var head = new StringBuilder().Append((char)first);
            while (!head.ToString().EndsWith("\r\n\r\n")) { int b = stream.ReadByte(); if (b < 0) return; head.Append((char)b); }
            var lines = head.ToString().Split("\r\n");
            string method = lines[0].Split(' ')[0], target = lines[0].Split(' ')[1];
            string path = target.Split('?')[0], query = target.Contains('?') ? target.Substring(target.IndexOf('?') + 1) : "";
            string? Header(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?.Substring(name.Length + 1).Trim();
            long length = long.TryParse(Header("Content-Length"), out long l) ? l : 0;
            Requests.Enqueue($"{method} {path}" + (Header("Range") is string r ? " " + r : "") + (Header("Content-Range") is string cr ? " " + cr : ""));
            Authorizations.Enqueue(($"{method} {path}", Header("Authorization") ?? ""));

            void Reply(int status, byte[]? body = null, string extra = "", string type = "application/json")
            {
                body ??= new byte[0];
                var bytes = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n{extra}\r\n");
                stream.Write(bytes, 0, bytes.Length);
                if (method != "HEAD") stream.Write(body, 0, body.Length);
            }
            byte[] ReadBody(long count)
            {
                var buffer = new byte[count];
                int at = 0;
                while (at < count) { int n = stream.Read(buffer, at, (int)(count - at)); if (n <= 0) break; at += n; }
                return buffer.Take(at).ToArray();
            }

            if (path == "/token")
            {
                TokenRequests.Enqueue(Uri.UnescapeDataString(query) + " auth=" + Header("Authorization"));
                string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Bearer!.Value.User}:{Bearer.Value.Password}"));
                if (Header("Authorization") != expected) { Reply(401); return; }
                Reply(200, Encoding.UTF8.GetBytes("{\"token\":\"t0ken\"}"));
                return;
            }
            if (Bearer != null && Header("Authorization") != "Bearer t0ken")
            {
                // The body is read first, as a real server does: the client then always reads the 401, never a reset.
                ReadBody(length);
                Reply(401, null, $"WWW-Authenticate: Bearer realm=\"{Realm ?? $"http://{Address}/token"}\",service=\"fake\"\r\n");
                return;
            }
            if (path == "/v2/") { Reply(200); return; }
            string name = path.StartsWith("/v2/") ? path.Substring(4) : "";
            if (name.EndsWith("/blobs/uploads/") && method == "POST")
            {
                string id = Guid.NewGuid().ToString("N");
                lock (uploads) uploads[id] = new MemoryStream();
                Reply(202, null, $"Location: {(UploadLocation ?? "/upload/{id}").Replace("{id}", id)}?_state=0\r\n");
                return;
            }
            if (path.StartsWith("/upload/"))
            {
                string id = path.Substring(8);
                MemoryStream? upload;
                lock (uploads) uploads.TryGetValue(id, out upload);
                if (upload == null) { Reply(404); return; }
                if (method == "DELETE") { lock (uploads) uploads.Remove(id); Reply(204); return; }
                if (method == "GET") { Reply(204, null, $"Location: /upload/{id}?_state={upload.Length}\r\nRange: 0-{upload.Length - 1}\r\n"); return; }
                if (!query.Contains("_state=" + upload.Length)) { Reply(416); return; } // a stale Location
                if (method == "PATCH")
                {
                    string range = Header("Content-Range") ?? "";
                    if (!range.StartsWith(upload.Length + "-")) { Reply(416); return; }
                    if (CutPatchOnce)
                    {
                        CutPatchOnce = false;
                        var half = ReadBody(length / 2);
                        upload.Write(half);
                        client.Client.LingerState = new LingerOption(true, 0);
                        client.Close();
                        return;
                    }
                    upload.Write(ReadBody(length));
                    Reply(202, null, $"Location: /upload/{id}?_state={upload.Length}\r\nRange: 0-{upload.Length - 1}\r\n");
                    return;
                }
                if (method == "PUT" && SilentPut)
                {
                    ReadBody(length);
                    stopping.Wait();
                    return;
                }
                if (method == "PUT")
                {
                    upload.Write(ReadBody(length));
                    string digest = Uri.UnescapeDataString(query.Split('&').First(p => p.StartsWith("digest=")).Substring(7));
                    byte[] bytes = upload.ToArray();
                    if (DigestOf(bytes) != digest) { Reply(400, Encoding.UTF8.GetBytes("{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did not match uploaded content\"}]}")); return; }
                    Blobs[digest] = bytes;
                    lock (uploads) uploads.Remove(id);
                    Reply(201, null, $"Docker-Content-Digest: {digest}\r\nLocation: /v2/x/blobs/{digest}\r\n");
                    return;
                }
            }
            int blobs = name.IndexOf("/blobs/", StringComparison.Ordinal);
            if (blobs > 0)
            {
                string digest = name.Substring(blobs + 7);
                if (!Blobs.TryGetValue(digest, out var blob)) { Reply(404); return; }
                string? range = Header("Range");
                if (range != null && method == "GET")
                {
                    long from = long.Parse(range.Split('=')[1].TrimEnd('-'));
                    Reply(206, blob.Skip((int)from).ToArray(), $"Content-Range: bytes {from}-{blob.Length - 1}/{blob.Length}\r\n", "application/octet-stream");
                    return;
                }
                if (DripBlobMs > 0 && method == "GET" && blob.Length > 65536)
                {
                    var status = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {blob.Length}\r\nConnection: close\r\n\r\n");
                    stream.Write(status, 0, status.Length);
                    for (int i = 0; i < blob.Length && !stopping.Wait(DripBlobMs); i++)
                    {
                        stream.Write(blob, i, 1);
                    }
                    return;
                }
                if (CutBlobOnce && method == "GET" && blob.Length > 65536)
                {
                    CutBlobOnce = false;
                    var bytes = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {blob.Length}\r\nConnection: close\r\n\r\n");
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Write(blob, 0, blob.Length / 2);
                    return;
                }
                Reply(200, blob, $"Docker-Content-Digest: {digest}\r\n", "application/octet-stream");
                return;
            }
            int manifests = name.IndexOf("/manifests/", StringComparison.Ordinal);
            if (manifests > 0)
            {
                string reference = name.Substring(manifests + 11);
                if (method == "PUT")
                {
                    var body = ReadBody(length);
                    Manifests[reference] = (body, Header("Content-Type") ?? "");
                    Manifests[DigestOf(body)] = (body, Header("Content-Type") ?? "");
                    Reply(201, null, $"Docker-Content-Digest: {DigestOf(body)}\r\n");
                    return;
                }
                if (!Manifests.TryGetValue(reference, out var manifest)) { Reply(404, Encoding.UTF8.GetBytes("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}")); return; }
                Reply(200, manifest.Body, $"Docker-Content-Digest: {DigestOf(manifest.Body)}\r\n", manifest.Type);
                return;
            }
            if (name.EndsWith("/tags/list"))
            {
                int last = query.Contains("last=") ? Tags.IndexOf(Uri.UnescapeDataString(query.Split('&').First(p => p.StartsWith("last=")).Substring(5))) + 1 : 0;
                var page = Tags.Skip(last).Take(TagPage).ToList();
                string link = last + TagPage < Tags.Count ? $"Link: <{NextPagePrefix}/v2/{name}?n={TagPage}&last={page.Last()}>; rel=\"next\"\r\n" : "";
                Reply(200, Encoding.UTF8.GetBytes("{\"name\":\"x\",\"tags\":[" + string.Join(",", page.Select(t => "\"" + t + "\"")) + "]}"), link);
                return;
            }
            Reply(404);
        }

        public void Dispose()
        {
            stopping.Set();
            listener.Stop();
        }
    }
}
