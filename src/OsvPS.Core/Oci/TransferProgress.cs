namespace OsvPS.Core.Oci
{
    /// <summary>Bytes of one blob sent or received so far.</summary>
    public sealed class TransferProgress
    {
        public TransferProgress(string activity, string name, long done, long total)
        {
            Activity = activity;
            Name = name;
            Done = done;
            Total = total;
        }

        /// <summary>Uploading or Downloading.</summary>
        public string Activity { get; }
        /// <summary>What the blob is (the disk, the kernel, ...).</summary>
        public string Name { get; }
        public long Done { get; }
        public long Total { get; }
    }
}
