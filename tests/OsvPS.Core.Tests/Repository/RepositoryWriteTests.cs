using System.IO;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.Repository
{
    /// <summary>Writes into the repository: its root may be a link (a repository on another disk), the folders in it may not.</summary>
    public sealed class RepositoryWriteTests : System.IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly string outside;

        public RepositoryWriteTests()
        {
            outside = dir.Combine("OUTSIDE");
            Directory.CreateDirectory(outside);
            dir.File("real/repository/osv-loader/osv-loader.qemu", TestFiles.Loader());
            dir.File("project/meta/package.yaml", "name: app\ntitle: app\nauthor: test\n");
            dir.File("project/meta/run.yaml", "runtime: native\nconfig_set:\n  default:\n    bootcmd: /hello\n");
            dir.File("project/hello", "HELLO");
            File.CreateSymbolicLink(dir.Combine("capstan"), dir.Combine("real"));
        }

        public void Dispose() => dir.Dispose();

        private CapstanRepository Repository => new CapstanRepository(dir.Combine("capstan"));

        private OsvPS.Core.Models.OsvImage Build(string name)
        {
            var builder = new ImageBuilder(Repository);
            var plan = builder.Plan(new ImageBuildRequest { Project = ProjectStore.Load(dir.Combine("project")), Name = name, Compose = new ComposeOptions { NoBootstrap = true } });
            return builder.Build(plan, false, null, CancellationToken.None);
        }

        [Fact]
        public void ARepositoryRootThatIsALinkIsUsed()
        {
            var image = Build("app");
            Assert.True(File.Exists(dir.Combine("real/repository/app/app.qemu")));
            Assert.Equal("app", image.Name);
        }

        [Fact]
        public void AnImageFolderThatIsALinkGetsNoBuildNoImportNoIndex()
        {
            Directory.CreateDirectory(dir.Combine("real/repository"));
            File.CreateSymbolicLink(dir.Combine("real/repository/app"), outside);
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, Assert.Throws<OsvException>(() => Build("app")).ErrorId);
            var importer = new ImageImporter(Repository);
            var plan = importer.Plan(dir.Combine("real/repository/osv-loader/osv-loader.qemu"), "app", force: true);
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, Assert.Throws<OsvException>(() => importer.Import(plan, null, null, CancellationToken.None)).ErrorId);
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, Assert.Throws<OsvException>(() => Repository.WriteIndex("app", new ImageIndex { Version = "x" })).ErrorId);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }

        [Fact]
        public void APackagesFolderThatIsALinkGetsNoPackage()
        {
            File.CreateSymbolicLink(dir.Combine("real/packages"), outside);
            var e = Assert.Throws<OsvException>(() => PackageBuilder.Build(Repository, ProjectStore.Load(dir.Combine("project"))));
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, e.ErrorId);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }
    }
}
