using System;
using System.IO;
using OsvPS.Core.IO;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.IO
{
    /// <summary>What a killed write leaves behind is swept; what is not OsvPS's is kept.</summary>
    public sealed class TemporarySweepTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        [Fact]
        public void StaleTemporariesAreSweptAndOthersKept()
        {
            string target = dir.File("repository/demo/demo.qemu", "image");
            string stale = dir.File("repository/demo/.demo.qemu.0123456789ab.tmp", "half");
            string other = dir.File("repository/demo/.other.qemu.0123456789ab.tmp", "not ours");
            AtomicFile.SweepTemporaries(target);
            Assert.False(File.Exists(stale));
            Assert.True(File.Exists(other));
            Assert.True(File.Exists(target));
        }
    }
}
