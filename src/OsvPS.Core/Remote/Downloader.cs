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
    /// Streams an asset to <c>.&lt;name&gt;.partial</c> beside the target, resumes it with a Range request
    /// when a partial file is there, checks the size, and renames it into place only when complete.
    /// </summary>
    public static class Downloader
    {
        public static string PartialPath(string target)
            => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target)) ?? ".", "." + Path.GetFileName(target) + ".partial");

        /// <summary>Downloads <paramref name="asset"/> to <paramref name="target"/> and returns the file's SHA-256 (hex).</summary>
        public static string Download(ReleaseSource source, ReleaseAsset asset, string target, Func<Stream, Stream>? transform,
            IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            string partial = PartialPath(target);
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (asset.Size.HasValue && have > asset.Size.Value)
            {
                AtomicFile.TryDelete(partial);
                have = 0;
            }
            if (!(asset.Size.HasValue && have == asset.Size.Value))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, asset.Url);
                if (have > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(have, null);
                }
                using (var response = source.Send(request, $"'{asset.Name}'", cancellation))
                {
                    bool resumed = have > 0 && response.StatusCode == System.Net.HttpStatusCode.PartialContent;
                    if (!resumed)
                    {
                        have = 0;
                    }
                    using (var input = response.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
                    using (var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                    {
                        var buffer = new byte[1 << 16];
                        long received = have;
                        try
                        {
                            int n;
                            while ((n = input.ReadAsync(buffer, 0, buffer.Length, cancellation).GetAwaiter().GetResult()) > 0)
                            {
                                output.Write(buffer, 0, n);
                                received += n;
                                progress?.Report(new DownloadProgress(asset.Name, received, asset.Size));
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
            }
            long got = new FileInfo(partial).Length;
            if (asset.Size.HasValue && got != asset.Size.Value)
            {
                if (got > asset.Size.Value)
                {
                    AtomicFile.TryDelete(partial);
                }
                throw new OsvException("DownloadIncomplete", OsvErrorKind.InvalidData,
                    $"'{asset.Name}' arrived with {got} bytes; the release says {asset.Size.Value}. " +
                    (got < asset.Size.Value ? "Run the command again to resume it." : "The partial file was discarded."), asset.Url);
            }
            try
            {
                if (transform == null)
                {
                    string hash = Sha256(partial);
                    AtomicFile.Commit(partial, target);
                    return hash;
                }
                // Unpacked content goes through its own temporary file; the download stays until that succeeded.
                AtomicFile.Write(target, output =>
                {
                    using (var input = File.OpenRead(partial))
                    using (var unpacked = transform(input))
                    {
                        unpacked.CopyTo(output, 1 << 20);
                    }
                });
                AtomicFile.TryDelete(partial);
                return Sha256(target);
            }
            catch (InvalidDataException e)
            {
                AtomicFile.TryDelete(partial);
                throw new OsvException("DownloadIncomplete", OsvErrorKind.InvalidData, $"'{asset.Name}' could not be unpacked: {e.Message}", asset.Url, e);
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
