namespace OsvPS.Core.Disk
{
    /// <summary>Where a sequential producer (the ROFS writer, the disk composer) puts its bytes.</summary>
    public interface IByteSink
    {
        /// <summary>Bytes written so far.</summary>
        long Position { get; }

        void Write(byte[] buffer, int offset, int count);

        /// <summary>Appends <paramref name="count"/> zero bytes; sparse outputs store nothing for them.</summary>
        void WriteZeros(long count);
    }
}
