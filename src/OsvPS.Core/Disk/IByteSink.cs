using System.IO;

namespace OsvPS.Core.Disk
{
    /// <summary>Where a sequential producer (the ROFS writer, the disk composer) puts its bytes.</summary>
    internal interface IByteSink
    {
        /// <summary>Bytes written so far.</summary>
        long Position { get; }

        void Write(byte[] buffer, int offset, int count);

        /// <summary>Appends <paramref name="count"/> zero bytes; sparse outputs store nothing for them.</summary>
        void WriteZeros(long count);

        /// <summary>
        /// Reads at most <paramref name="max"/> bytes from <paramref name="source"/> straight into the
        /// sink (no intermediate buffer) and returns how many were read; 0 at the end of the source.
        /// </summary>
        int CopyFrom(Stream source, int max);
    }
}
