using System.IO;
using OsvPS.Core.Disk;

namespace OsvPS.Core.Tests.Support
{
    public sealed class MemorySink : IByteSink
    {
        public readonly MemoryStream Stream = new MemoryStream();
        public long Position => Stream.Length;
        public void Write(byte[] buffer, int offset, int count) => Stream.Write(buffer, offset, count);
        public void WriteZeros(long count) => Stream.Write(new byte[count], 0, (int)count);
        public int CopyFrom(Stream source, int max)
        {
            var b = new byte[System.Math.Min(max, 4096)];
            int n = source.Read(b, 0, b.Length);
            Stream.Write(b, 0, n);
            return n;
        }
        public byte[] ToArray() => Stream.ToArray();
    }
}
