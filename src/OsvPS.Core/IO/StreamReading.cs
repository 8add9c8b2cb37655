using System.IO;

namespace OsvPS.Core.IO
{
    /// <summary>Reads that do not stop at a short read.</summary>
    internal static class StreamReading
    {
        /// <summary>Reads up to <paramref name="count"/> bytes, fewer only at the end of the stream; returns how many.</summary>
        public static int ReadFully(Stream s, byte[] buffer, int offset, int count)
        {
            int total = 0;
            while (total < count)
            {
                int n = s.Read(buffer, offset + total, count - total);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
            return total;
        }
    }
}
