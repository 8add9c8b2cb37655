using System;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;

namespace OsvPS.Core.Remote
{
    /// <summary>Bytes received so far of a download.</summary>
    public sealed class DownloadProgress
    {
        public DownloadProgress(string name, long received, long? total)
        {
            Name = name;
            Received = received;
            Total = total;
        }

        public string Name { get; }
        public long Received { get; }
        public long? Total { get; }
    }

    /// <summary>
    /// Streams an asset to <c>.&lt;name&gt;.partial</c> beside the target and renames it into place only
    /// when it is whole. A download must have a declared size (the release's, else Content-Length), stops
    /// with an error when the server sends more, and gives up after a minute without data. It resumes
    /// with a Range request only when a note beside the partial file shows the same URL, size and ETag,
    /// and asks with If-Range, so a file replaced on the server restarts instead of being spliced.
    /// </summary>
    public static class Downloader
    {
        /// <summary>How long a transfer may go without receiving a byte.</summary>
        public static TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

        public static string PartialPath(string target)
            => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target)) ?? ".", "." + Path.GetFileName(target) + ".partial");

        private static string NotePath(string partial) => partial + ".source";

        /// <summary>
        /// Downloads <paramref name="asset"/> to <paramref name="target"/> and returns the file's SHA-256 (hex).
        /// <paramref name="unpack"/>, when given, copies the download to the target unpacked (a kernel's .gz).
        /// </summary>
        public static string Download(ReleaseSource source, ReleaseAsset asset, string target, Action<Stream, Stream>? unpack,
            IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            string partial = PartialPath(target);
            string note = NotePath(partial);
            string? resumeTag = ResumeTag(partial, note, asset);
            long have = resumeTag != null ? new FileInfo(partial).Length : 0;
            long? expected = asset.Size;
            if (!(expected.HasValue && have == expected.Value))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, asset.Url);
                if (have > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(have, null);
                    if (resumeTag!.Length > 0)
                    {
                        request.Headers.IfRange = new RangeConditionHeaderValue(EntityTagHeaderValue.Parse(resumeTag));
                    }
                }
                using (var response = source.Send(request, $"'{asset.Name}'", cancellation))
                {
                    bool resumed = have > 0 && response.StatusCode == System.Net.HttpStatusCode.PartialContent;
                    if (!resumed)
                    {
                        have = 0;
                        expected ??= response.Content.Headers.ContentLength;
                        if (!expected.HasValue)
                        {
                            throw new OsvException("DownloadSizeUnknown", OsvErrorKind.InvalidData,
                                $"neither the release nor the server gives the size of '{asset.Name}', so a cut transfer could not be told from a whole one; it is not downloaded.", asset.Url);
                        }
                        AtomicFile.WriteAllText(note, $"{asset.Url}\n{expected.Value}\n{response.Headers.ETag?.ToString() ?? ""}\n");
                    }
                    Receive(response, partial, resumed, have, expected!.Value, asset, progress, cancellation);
                }
            }
            long got = new FileInfo(partial).Length;
            if (expected.HasValue && got != expected.Value)
            {
                throw new OsvException("DownloadIncomplete", OsvErrorKind.InvalidData,
                    $"'{asset.Name}' arrived with {got} bytes; {expected.Value} were declared. Run the command again to resume it.", asset.Url);
            }
            try
            {
                if (unpack == null)
                {
                    string hash = Sha256(partial);
                    AtomicFile.Commit(partial, target);
                    AtomicFile.TryDelete(note);
                    return hash;
                }
                // Unpacked content goes through its own temporary file; the download stays until that succeeded.
                AtomicFile.Write(target, output =>
                {
                    using (var input = File.OpenRead(partial))
                    {
                        unpack(input, output);
                    }
                });
                AtomicFile.TryDelete(partial);
                AtomicFile.TryDelete(note);
                return Sha256(target);
            }
            catch (Exception e) when (e is InvalidDataException || e is OsvException)
            {
                AtomicFile.TryDelete(partial);
                AtomicFile.TryDelete(note);
                throw new OsvException("DownloadIncomplete", OsvErrorKind.InvalidData, $"'{asset.Name}' could not be unpacked: {e.Message}", asset.Url, e);
            }
        }

        // The ETag ("" when the server gave none) to resume with, or null when the partial file cannot be
        // trusted to be the start of this asset (no note, another URL or size, or longer than declared).
        private static string? ResumeTag(string partial, string note, ReleaseAsset asset)
        {
            if (!File.Exists(partial) || !File.Exists(note))
            {
                AtomicFile.TryDelete(partial);
                return null;
            }
            string[] lines = File.ReadAllLines(note);
            long size = new FileInfo(partial).Length;
            bool same = lines.Length >= 3 && lines[0] == asset.Url && long.TryParse(lines[1], out long declared) &&
                (!asset.Size.HasValue || asset.Size.Value == declared) && size <= declared;
            if (!same || size == 0)
            {
                AtomicFile.TryDelete(partial);
                AtomicFile.TryDelete(note);
                return null;
            }
            return lines[2];
        }

        private static void Receive(HttpResponseMessage response, string partial, bool resumed, long have, long expected, ReleaseAsset asset,
            IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            using (var input = response.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
            using (var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 16];
                long received = have;
                try
                {
                    while (true)
                    {
                        int n;
                        using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                        {
                            idle.CancelAfter(IdleTimeout);
                            try
                            {
                                n = input.ReadAsync(buffer, 0, buffer.Length, idle.Token).GetAwaiter().GetResult();
                            }
                            catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
                            {
                                throw new IOException($"no data for {IdleTimeout.TotalSeconds:0} s", e);
                            }
                        }
                        if (n == 0)
                        {
                            break;
                        }
                        if (received + n > expected)
                        {
                            output.Dispose();
                            AtomicFile.TryDelete(partial);
                            throw new OsvException("DownloadIncomplete", OsvErrorKind.InvalidData,
                                $"the server sent more of '{asset.Name}' than the {expected} bytes declared; the download was discarded.", asset.Url);
                        }
                        output.Write(buffer, 0, n);
                        received += n;
                        progress?.Report(new DownloadProgress(asset.Name, received, expected));
                    }
                }
                catch (Exception e) when (e is IOException || e is HttpRequestException)
                {
                    output.Flush(true);
                    throw new OsvException("DownloadIncomplete", OsvErrorKind.ConnectionError,
                        $"the transfer of '{asset.Name}' broke off after {received} bytes ({e.Message}); run the command again to resume it.", asset.Url, e);
                }
                output.Flush(true);
            }
        }

        public static string Sha256(string path)
        {
            using (var sha = SHA256.Create())
            using (var stream = File.OpenRead(path))
            {
                return BitConverter.ToString(sha.ComputeHash(stream)).Replace("-", "").ToLowerInvariant();
            }
        }
    }
}
