using System;
using System.Diagnostics;
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
    /// when it is whole. A download must have a declared size (the release's, else Content-Length), which
    /// must fit the free space of the disk before a byte is written; it stops with an error when the server
    /// sends more, when the disk fills up (the partial file is removed), when a minute passes without data,
    /// and when it is slower than the source's <see cref="ReleaseSource.MinimumRate"/> (a body that drips).
    /// A whole file that does not match the SHA-256 its release publishes is discarded. It resumes with a
    /// Range request only when a note beside the partial file shows the same URL, size and ETag, and asks
    /// with If-Range, so a file replaced on the server restarts instead of being spliced. Every file goes
    /// through the repository's <see cref="ContainedFolder"/>.
    /// </summary>
    internal static class Downloader
    {
        /// <summary>How long a transfer may go without receiving a byte.</summary>
        public static TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

        public static string PartialPath(string target)
            => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target)) ?? ".", "." + Path.GetFileName(target) + ".partial");

        private static string NotePath(string partial) => partial + ".source";

        /// <summary>
        /// Downloads <paramref name="asset"/> to <paramref name="target"/> (a file under <paramref name="folder"/>)
        /// and returns the file's SHA-256 (hex). <paramref name="unpack"/>, when given, copies the download to
        /// the target unpacked (a kernel's .gz).
        /// </summary>
        public static string Download(ReleaseSource source, ReleaseAsset asset, ContainedFolder folder, string target, Action<Stream, Stream>? unpack,
            IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            string partial = PartialPath(target);
            string note = NotePath(partial);
            string? resumeTag = ResumeTag(folder, partial, note, asset);
            long have = resumeTag != null ? new FileInfo(partial).Length : 0;
            long? expected = asset.Size;
            if (!(expected.HasValue && have == expected.Value))
            {
                long spaceChecked = expected.HasValue ? expected.Value - have : 0;
                if (expected.HasValue)
                {
                    RequireSpace(target, spaceChecked, asset);
                }
                var request = new HttpRequestMessage(HttpMethod.Get, ReleaseSource.AssetAddress(asset));
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
                            throw new OsvException(ErrorIds.DownloadSizeUnknown, OsvErrorKind.InvalidData,
                                $"neither the release nor the server gives the size of '{asset.Name}', so a cut transfer could not be told from a whole one; it is not downloaded.", asset.Url);
                        }
                        if (expected.Value > spaceChecked)
                        {
                            RequireSpace(target, expected.Value, asset); // the size came with the answer, or a resume was refused
                        }
                        folder.WriteAllText(note, $"{asset.Url}\n{expected.Value}\n{response.Headers.ETag?.ToString() ?? ""}\n");
                    }
                    Receive(response, source, folder, partial, note, resumed, have, expected!.Value, asset, progress, cancellation);
                }
            }
            long got = new FileInfo(partial).Length;
            if (expected.HasValue && got != expected.Value)
            {
                throw new OsvException(ErrorIds.DownloadIncomplete, OsvErrorKind.InvalidData,
                    $"'{asset.Name}' arrived with {got} bytes; {expected.Value} were declared. Run the command again to resume it.", asset.Url);
            }
            string hash = Sha256(partial);
            if (asset.Sha256 != null && hash != asset.Sha256)
            {
                Discard(folder, partial, note);
                throw new OsvException(ErrorIds.DownloadCorrupt, OsvErrorKind.InvalidData,
                    $"'{asset.Name}' does not match the SHA-256 its release publishes (sha256:{asset.Sha256}; it arrived as sha256:{hash}). It was discarded and nothing was saved.", asset.Url);
            }
            return unpack == null ? Place(folder, partial, note, target, hash) : Unpack(folder, partial, note, target, unpack, asset);
        }

        private static string Place(ContainedFolder folder, string partial, string note, string target, string hash)
        {
            folder.Move(partial, target);
            TryDelete(folder, note);
            return hash;
        }

        // Unpacked content goes through its own temporary file; the download stays until that succeeded.
        private static string Unpack(ContainedFolder folder, string partial, string note, string target, Action<Stream, Stream> unpack, ReleaseAsset asset)
        {
            OsvException? unpackFailure = null;
            try
            {
                folder.WriteFile(target, output =>
                {
                    using (var input = File.OpenRead(partial))
                    {
                        try
                        {
                            unpack(input, output);
                        }
                        catch (Exception e) when (e is InvalidDataException || e is OsvException)
                        {
                            unpackFailure = new OsvException(ErrorIds.DownloadIncomplete, OsvErrorKind.InvalidData, $"'{asset.Name}' could not be unpacked: {e.Message}", asset.Url, e);
                            throw unpackFailure;
                        }
                    }
                });
            }
            catch (OsvException e) when (e == unpackFailure || DiskSpace.IsFull(e))
            {
                Discard(folder, partial, note);
                throw DiskSpace.IsFull(e) ? Full(asset, target, e) : e;
            }
            Discard(folder, partial, note);
            return Sha256(target);
        }

        private static void RequireSpace(string target, long needed, ReleaseAsset asset)
        {
            string where = Path.GetDirectoryName(Path.GetFullPath(target)) ?? ".";
            long? free = DiskSpace.Available(where);
            if (free.HasValue && needed > free.Value)
            {
                throw new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                    $"'{asset.Name}' needs {Mib(needed)} MiB more; the disk of '{where}' has {Mib(free.Value)} MiB free. Nothing more was written; free some space and run the command again.", asset.Url);
            }
        }

        private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

        private static OsvException Full(ReleaseAsset asset, string target, Exception e)
            => new OsvException(ErrorIds.DiskSpaceInsufficient, OsvErrorKind.ResourceUnavailable,
                $"the disk of '{Path.GetDirectoryName(target)}' filled up while '{asset.Name}' was written; the partial download was removed. Free some space and run the command again.", asset.Url, e);

        // The ETag ("" when the server gave none) to resume with, or null when the partial file cannot be
        // trusted to be the start of this asset (no note, another URL or size, or longer than declared).
        private static string? ResumeTag(ContainedFolder folder, string partial, string note, ReleaseAsset asset)
        {
            var noteStatus = UnixFile.Stat(note, noFollow: true);
            if (!File.Exists(partial) || noteStatus == null || noteStatus.Type != UnixFileType.Regular || noteStatus.Size > 4096)
            {
                Discard(folder, partial, note);
                return null;
            }
            string[] lines = File.ReadAllLines(note);
            long size = new FileInfo(partial).Length;
            bool same = lines.Length >= 3 && lines[0] == asset.Url && long.TryParse(lines[1], out long declared) &&
                (!asset.Size.HasValue || asset.Size.Value == declared) && size <= declared;
            if (!same || size == 0)
            {
                Discard(folder, partial, note);
                return null;
            }
            return lines[2];
        }

        private static void Receive(HttpResponseMessage response, ReleaseSource source, ContainedFolder folder, string partial, string note, bool resumed, long have, long expected, ReleaseAsset asset,
            IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            using (var input = response.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
            using (var output = folder.OpenForWriting(partial, append: resumed))
            {
                var buffer = new byte[1 << 16];
                long received = have;
                var floor = new TransferFloor(new TransferLimits { IdleTimeout = IdleTimeout, MinimumRate = source.MinimumRate, RateWindow = source.RateWindow });
                long start = received;
                try
                {
                    while (true)
                    {
                        int n = ReadWithin(input, buffer, cancellation);
                        if (n == 0)
                        {
                            break;
                        }
                        if (received + n > expected)
                        {
                            output.Dispose();
                            Discard(folder, partial, note);
                            throw new OsvException(ErrorIds.DownloadIncomplete, OsvErrorKind.InvalidData,
                                $"the server sent more of '{asset.Name}' than the {expected} bytes declared; the download was discarded.", asset.Url);
                        }
                        output.Write(buffer, 0, n);
                        received += n;
                        progress?.Report(new DownloadProgress(asset.Name, received, expected));
                        floor.Moved(received - start);
                        if (floor.Shortfall() is string slow)
                        {
                            throw new IOException(slow);
                        }
                    }
                    output.Flush(true);
                }
                catch (IOException e) when (DiskSpace.IsFull(e))
                {
                    output.Dispose();
                    Discard(folder, partial, note);
                    throw Full(asset, partial, e);
                }
                catch (Exception e) when (e is IOException || e is HttpRequestException)
                {
                    output.Flush(true);
                    throw new OsvException(ErrorIds.DownloadIncomplete, OsvErrorKind.ConnectionError,
                        $"the transfer of '{asset.Name}' broke off after {received} bytes ({e.Message}); run the command again to resume it.", asset.Url, e);
                }
            }
        }

        private static int ReadWithin(Stream input, byte[] buffer, CancellationToken cancellation)
        {
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                idle.CancelAfter(IdleTimeout);
                try
                {
                    return input.ReadAsync(buffer, 0, buffer.Length, idle.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
                {
                    throw new IOException($"no data for {IdleTimeout.TotalSeconds:0} s", e);
                }
            }
        }

        private static void Discard(ContainedFolder folder, string partial, string note)
        {
            TryDelete(folder, partial);
            TryDelete(folder, note);
        }

        private static void TryDelete(ContainedFolder folder, string path)
        {
            try
            {
                folder.Delete(path);
            }
            catch (OsvException)
            {
                // Left for the next download of that asset, which starts it over.
            }
        }

        public static string Sha256(string path) => FileHash.Sha256(path);
    }
}
