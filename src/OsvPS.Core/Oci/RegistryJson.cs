using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Oci
{
    /// <summary>
    /// Reads what a registry (or an auth file) sends as JSON with a cap: a manifest, a config, a token or a
    /// tag list larger than the cap is refused before it is held in memory.
    /// </summary>
    internal static class RegistryJson
    {
        /// <summary>The distribution registry's own limit for a manifest; configs and tag pages get the same.</summary>
        public const int MaxDocumentBytes = 4 << 20;

        public static byte[] ReadBounded(HttpResponseMessage response, int cap, string what, CancellationToken cancellation)
        {
            long? declared = response.Content.Headers.ContentLength;
            if (declared > cap)
            {
                throw TooLarge(what, cap);
            }
            using (var input = response.Content.ReadAsStreamAsync().GetAwaiter().GetResult())
            {
                return ReadAll(input, cap, what, cancellation);
            }
        }

        public static byte[] ReadFileBounded(string path, int cap, ErrorId errorId)
        {
            FileStream input;
            try
            {
                // Never blocks: an auth file that is a FIFO is refused at once.
                input = IO.UnixFile.OpenRegular(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(errorId, OsvErrorKind.ReadError, $"cannot read {path}: {e.Message}", path, e);
            }
            using (input)
            {
                if (input.Length > cap)
                {
                    throw new OsvException(errorId, OsvErrorKind.LimitsExceeded, $"{path} is larger than the {cap} bytes it may be.", path);
                }
                return ReadAll(input, cap, path, CancellationToken.None);
            }
        }

        private static byte[] ReadAll(Stream input, int cap, string what, CancellationToken cancellation)
        {
            using (var buffer = new MemoryStream())
            {
                var chunk = new byte[1 << 16];
                int n;
                while ((n = input.ReadAsync(chunk, 0, chunk.Length, cancellation).GetAwaiter().GetResult()) > 0)
                {
                    if (buffer.Length + n > cap)
                    {
                        throw TooLarge(what, cap);
                    }
                    buffer.Write(chunk, 0, n);
                }
                return buffer.ToArray();
            }
        }

        private static OsvException TooLarge(string what, int cap)
            => new OsvException(ErrorIds.RegistryResponseTooLarge, OsvErrorKind.LimitsExceeded,
                $"{what} is larger than the {cap / 1024} KiB OsvPS reads; it was not read.", what);
    }
}
