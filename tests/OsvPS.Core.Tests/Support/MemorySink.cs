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
        public byte[] ToArray() => Stream.ToArray();
    }
}
