using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    public sealed class ProjectStoreTests : IDisposable
    {
        private readonly string dir = Path.Combine(Path.GetTempPath(), "osvps-test-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void CreateThenLoadRoundTrips()
        {
            var created = ProjectStore.Create(new ProjectSpec
            {
                Path = Path.Combine(dir, "demo"),
                BootCommand = "/hello --name \"x\"",
                ConfigSet = "main",
                Env = new System.Collections.Generic.Dictionary<string, string> { ["PORT"] = "8000" },
                Require = new[] { "osv.httpserver-api" },
                Author = "me",
            });
            var loaded = ProjectStore.Load(created.Path);
            Assert.Equal("demo", loaded.Name);
            Assert.Equal("me", loaded.Author);
            Assert.Equal(new[] { "osv.httpserver-api" }, loaded.Require);
            var set = Assert.Single(loaded.ConfigSets);
            Assert.Equal("main", set.Name);
            Assert.Equal("/hello --name \"x\"", set.BootCommand);
            Assert.Equal("8000", set.Env["PORT"]);
            Assert.Equal(new[] { "main" }, loaded.DefaultConfigSet);
            Assert.Empty(Directory.GetFiles(Path.Combine(created.Path, "meta"), "*.tmp"));
        }

        [Fact]
        public void ExistingProjectNeedsForce()
        {
            string path = Path.Combine(dir, "p");
            ProjectStore.Create(new ProjectSpec { Path = path, BootCommand = "/a" });
            var e = Assert.Throws<OsvException>(() => ProjectStore.Create(new ProjectSpec { Path = path, BootCommand = "/b" }));
            Assert.Equal(ErrorIds.ProjectExists, e.ErrorId);
            Assert.Equal("/a", ProjectStore.Load(path).ConfigSets[0].BootCommand);
            ProjectStore.Create(new ProjectSpec { Path = path, BootCommand = "/b", Force = true });
            Assert.Equal("/b", ProjectStore.Load(path).ConfigSets[0].BootCommand);
        }

        [Fact]
        public void InvalidSpecWritesNothing()
        {
            string path = Path.Combine(dir, "bad");
            var e = Assert.Throws<OsvException>(() => ProjectStore.Create(new ProjectSpec
            {
                Path = path,
                BootCommand = "/a",
                Env = new System.Collections.Generic.Dictionary<string, string> { ["A"] = "gr\u00fc\u00dfe" },
            }));
            Assert.Equal(ErrorIds.EnvInvalid, e.ErrorId);
            Assert.False(Directory.Exists(path));
        }

        [Fact]
        public void ProjectWithoutMetaIsNamedAfterFolderWhenRunYamlOnly()
        {
            string path = Path.Combine(dir, "capstan-app");
            Directory.CreateDirectory(Path.Combine(path, "meta"));
            File.WriteAllText(Path.Combine(path, "meta", "run.yaml"), "runtime: native\nbootcmd: /app.so\n");
            var project = ProjectStore.Load(path);
            Assert.Equal("capstan-app", project.Name);
            Assert.Null(project.Package);
            Assert.Equal("/app.so", project.ConfigSets.Single().BootCommand);
        }

        [Fact]
        public void PackageYamlNeedsNameTitleAuthor()
        {
            string path = Path.Combine(dir, "x");
            Directory.CreateDirectory(Path.Combine(path, "meta"));
            File.WriteAllText(Path.Combine(path, "meta", "package.yaml"), "name: x\ntitle: X\n");
            var e = Assert.Throws<OsvException>(() => ProjectStore.Load(path));
            Assert.Equal(ErrorIds.PackageYamlInvalid, e.ErrorId);
            Assert.Contains("'author'", e.Message);
        }

        // A run.yaml or package.yaml that is a folder or a FIFO is a read error naming what it is, not "no run.yaml".
        [Theory]
        [InlineData("run.yaml", "folder")]
        [InlineData("package.yaml", "folder")]
        [InlineData("run.yaml", "fifo")]
        public void AMetaFileThatIsNotAFileIsAnError(string name, string kind)
        {
            string meta = Path.Combine(dir, "meta");
            Directory.CreateDirectory(meta);
            File.WriteAllText(Path.Combine(meta, name == "run.yaml" ? "package.yaml" : "run.yaml"), name == "run.yaml"
                ? "name: p\ntitle: p\nauthor: a\n" : "runtime: native\nconfig_set:\n  default:\n    bootcmd: /x\n");
            string path = Path.Combine(meta, name);
            if (kind == "folder")
            {
                Directory.CreateDirectory(path);
            }
            else
            {
                var (code, output) = OsvPS.Core.Tests.Support.TestFiles.Run("mkfifo", path);
                Assert.True(code == 0, output);
            }
            var e = Assert.Throws<OsvException>(() => ProjectStore.Load(dir));
            Assert.Equal(ErrorIds.FileReadFailed, e.ErrorId);
            Assert.Contains(kind == "folder" ? "is a folder, not a regular file" : "is a FIFO (named pipe), not a regular file", e.Message);
        }

        [Fact]
        public void FolderWithoutMetaIsNotAProject()
        {
            Directory.CreateDirectory(dir);
            var e = Assert.Throws<OsvException>(() => ProjectStore.Load(dir));
            Assert.Equal(ErrorIds.ProjectNotFound, e.ErrorId);
            Assert.Equal(OsvErrorKind.ObjectNotFound, e.Kind);
        }
    

        /// <summary>Issue 26: <c>ln -s OUTSIDE P/meta; New-OsvProject P -Force</c> overwrote OUTSIDE/run.yaml.</summary>
        [Fact]
        public void AMetaFolderOrProjectFolderThatIsALinkIsRefusedByEveryProjectCall()
        {
            string outside = Path.Combine(dir, "OUTSIDE");
            string project = Path.Combine(dir, "P");
            Directory.CreateDirectory(outside);
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(outside, "run.yaml"), "runtime: native\nconfig_set:\n  default:\n    bootcmd: /theirs\n");
            File.CreateSymbolicLink(Path.Combine(project, "meta"), outside);
            string linkedRoot = Path.Combine(dir, "P-link");
            File.CreateSymbolicLink(linkedRoot, project);

            foreach (string path in new[] { project, linkedRoot })
            {
                foreach (Action call in new Action[]
                {
                    () => ProjectStore.Create(new ProjectSpec { Path = path, Force = true, BootCommand = "/mine" }),
                    () => ProjectStore.Plan(new ProjectSpec { Path = path, Force = true }),
                    () => ProjectStore.Load(path),
                    () => ProjectStore.IsProject(path),
                })
                {
                    Assert.Equal(ErrorIds.FolderIsSymbolicLink, Assert.Throws<OsvException>(call).ErrorId);
                }
            }
            Assert.Equal(new[] { "run.yaml" }, Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.Contains("/theirs", File.ReadAllText(Path.Combine(outside, "run.yaml")));
        }
    }
}
