using System;
using System.IO;
using OsvPS.Core.Building;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Projects
{
    /// <summary>Project trees that change under a build or hold names OSv cannot store.</summary>
    public sealed class HostileProjectTreeTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        [Fact]
        public void AFileSwappedForASymlinkAfterPlanningIsNotRead()
        {
            string file = dir.File("project/data.txt", "planned content");
            dir.File("secret", "host secret");
            var planned = UnixFile.Stat(file, noFollow: true);
            using (var ok = UnixFile.OpenPlanned(file, planned))
            {
                Assert.Equal("planned content", new StreamReader(ok).ReadToEnd());
            }
            File.Delete(file);
            File.CreateSymbolicLink(file, dir.Combine("secret"));
            Assert.Throws<IOException>(() => UnixFile.OpenPlanned(file, planned));
            File.Delete(file);
            File.WriteAllText(file, "another file, same name");
            Assert.Throws<IOException>(() => UnixFile.OpenPlanned(file, planned));
        }

        [Fact]
        public void AFileNameThatIsNotUtf8IsNamedAsSuch()
        {
            string project = dir.Combine("proj-names");
            ProjectStore.Create(new ProjectSpec { Path = project, BootCommand = "/x" });
            // Create "bad\xff" through the shell: .NET cannot write such a name itself.
            var made = TestFiles.Run("sh", "-c", $"printf x > '{project}/bad'$(printf '\\377')");
            Assert.True(made.code == 0, made.output);
            var repo = new CapstanRepository(dir.Combine("capstan"));
            var e = Assert.Throws<OsvException>(() => new ImageComposer(repo).Compose(ProjectStore.Load(project), new ComposeOptions { NoBootstrap = true }));
            Assert.Equal("FileNameInvalid", e.ErrorId);
            Assert.Contains("not UTF-8", e.Message);
            File.WriteAllText(Path.Combine(project, ".capstanignore"), "/bad*\n");
            Assert.NotNull(new ImageComposer(repo).Compose(ProjectStore.Load(project), new ComposeOptions { NoBootstrap = true }));
        }
    }
}
