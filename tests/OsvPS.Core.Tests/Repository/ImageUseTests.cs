using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Repository
{
    /// <summary>An image being started cannot be removed, and one being removed cannot be started (issue 31).</summary>
    public sealed class ImageUseTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        [Fact]
        public void StartsShareTheImageAndARemovalWaitsForThemToEnd()
        {
            string image = dir.File("repository/demo/demo.qemu", "IMAGE");
            using (ImageUse.ForStart(image, "demo"))
            using (ImageUse.ForStart(image, "demo"))
            {
                var e = Assert.Throws<OsvException>(() => ImageUse.ForRemoval(image, "demo"));
                Assert.Equal(ErrorIds.ImageInUse, e.ErrorId);
                Assert.Equal("demo", e.Target);
                Assert.Contains("being started", e.Message);
            }
            using (ImageUse.ForRemoval(image, "demo"))
            {
                var e = Assert.Throws<OsvException>(() => ImageUse.ForStart(image, "demo"));
                Assert.Equal(ErrorIds.ImageLocked, e.ErrorId);
                File.Delete(image);
            }
            Assert.Equal(ErrorIds.ImageNotFound, Assert.Throws<OsvException>(() => ImageUse.ForStart(image, "demo")).ErrorId);
        }

        [Fact]
        public void TheQemuEngineStartsNothingWhileItsImageIsBeingRemoved()
        {
            var repository = new CapstanRepository(dir.Combine("capstan"));
            string image = dir.File("capstan/repository/demo/demo.qemu", TestFiles.Loader());
            using var engine = InstanceEngines.Open(null, repository);
            var plan = engine.Plan(new StartRequest { ImagePath = image, ImageName = "demo", CommandLine = "/x", Accelerator = OsvPS.Core.Qemu.Accelerator.Tcg, EngineOptions = new EngineOptions().Set("QemuPath", "/bin/true") }, CancellationToken.None);
            using (ImageUse.ForRemoval(image, "demo"))
            {
                var e = Assert.Throws<OsvException>(() => engine.Start(plan, CancellationToken.None));
                Assert.Equal(ErrorIds.ImageLocked, e.ErrorId);
            }
            Assert.False(Directory.Exists(Path.Combine(repository.InstancesPath, "demo")), "no instance folder was made");
            Assert.Empty(engine.List(CancellationToken.None));
        }
    }
}
