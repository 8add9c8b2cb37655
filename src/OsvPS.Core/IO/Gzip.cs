using System;
using System.IO;
using System.IO.Compression;
using OsvPS.Core.Errors;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// Unpacking of the gzip files OsvPS reads (packages, kernels), in one place: bounded in size, and
    /// checked against the gzip trailer, because a file cut at a flush point decompresses without error.
    /// </summary>
    internal static class Gzip
    {
        public static bool IsGzip(Stream input)
        {
            long at = input.Position;
            var magic = new byte[2];
            bool gzip = input.Read(magic, 0, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            input.Seek(at, SeekOrigin.Begin);
            return gzip;
        }

        /// <summary>
        /// Copies <paramref name="input"/> (gzip or not) to <paramref name="output"/>, unpacked, refusing
        /// more than <paramref name="maxBytes"/> and a gzip whose trailer does not match what it unpacked to.
        /// </summary>
        public static void Unpack(Stream input, Stream output, long maxBytes, string source, ErrorId errorId)
        {
            bool gzip = IsGzip(input);
            uint? declared = null;
            if (gzip && input.CanSeek && input.Length >= 18)
            {
                // ISIZE: the unpacked length modulo 2^32, in the last four bytes of a single-member gzip.
                input.Seek(-4, SeekOrigin.End);
                var trailer = new byte[4];
                StreamReading.ReadFully(input, trailer, 0, 4);
                declared = BitConverter.ToUInt32(trailer, 0);
                input.Seek(0, SeekOrigin.Begin);
            }
            long total = 0;
            try
            {
                using (var stream = gzip ? new GZipStream(input, CompressionMode.Decompress, leaveOpen: true) : input)
                {
                    var buffer = new byte[1 << 20];
                    int n;
                    while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        total += n;
                        if (total > maxBytes)
                        {
                            throw new OsvException(errorId, OsvErrorKind.LimitsExceeded,
                                $"'{source}' unpacks to more than {maxBytes >> 20} MiB, beyond what OsvPS accepts for it.", source);
                        }
                        output.Write(buffer, 0, n);
                    }
                }
            }
            catch (InvalidDataException e)
            {
                throw new OsvException(errorId, OsvErrorKind.InvalidData, $"'{source}' is not a valid gzip file: {e.Message}", source, e);
            }
            if (declared.HasValue && (uint)total != declared.Value)
            {
                throw new OsvException(errorId, OsvErrorKind.InvalidData,
                    $"'{source}' is cut short: its gzip trailer says {declared.Value} bytes, it unpacked to {total}.", source);
            }
        }
    }
}
