using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.Repository
{
    public sealed class ImageBuilderTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly CapstanRepository repo;
        private readonly byte[] loader = TestFiles.Loader();

        public ImageBuilderTests()
        {
            repo = new CapstanRepository(dir.Combine("capstan"));
            dir.File("capstan/repository/osv-loader/osv-loader.qemu", loader);
            Directory.CreateDirectory(repo.PackagesPath);
            TestFiles.Package(Path.Combine(repo.PackagesPath, "osv.bootstrap.mpm"),
                "name: osv.bootstrap\ntitle: bootstrap\nauthor: test\n", null,
                ("etc/hosts", "127.0.0.1 bootstrap\n"), ("libenviron.so", "env"), ("usr/lib/libgcc_s.so.1", "gcc"));
        }

        public void Dispose() => dir.Dispose();

        private OsvProject Project(string name = "demo", string? run = "runtime: native\nconfig_set:\n  default:\n    bootcmd: /hello\n  say_hey:\n    bootcmd: /echo.so Hey hey!\n    env: {A: b}\nconfig_set_default: default\n",
            string? package = null)
        {
            string path = dir.Combine(name);
            if (run != null) dir.File(name + "/meta/run.yaml", run);
            dir.File(name + "/meta/package.yaml", package ?? $"name: {name}\ntitle: {name}\nauthor: test\nversion: '1.0'\n");
            dir.File(name + "/hello", "HELLO-BINARY");
            dir.File(name + "/echo.so", "ECHO-BINARY");
            dir.File(name + "/etc/hosts", "127.0.0.1 project\n");
            return ProjectStore.Load(path);
        }

        private (OsvImage image, ImageBuildPlan plan) Build(ImageBuildRequest request, bool force = false)
        {
            var builder = new ImageBuilder(repo);
            var plan = builder.Plan(request);
            return (builder.Build(plan, force, null, CancellationToken.None), plan);
        }

        private static byte[] ReadAll(string path)
        {
            using var d = DiskReader.Open(path);
            return d.Read(0, (int)d.VirtualSize);
        }

        private static RofsReader FileSystem(byte[] disk)
        {
            uint start = BitConverter.ToUInt32(disk, 0x1CE + 8), count = BitConverter.ToUInt32(disk, 0x1CE + 12);
            return new RofsReader(disk[(int)(start * 512)..(int)((start + count) * 512)]);
        }

        private static string Text(RofsReader fs, string path) => Encoding.UTF8.GetString(fs.Nodes[path].Content!);

        [Fact]
        public void BuildsABootableLayoutWithProjectBootstrapAndRunFiles()
        {
            var (image, _) = Build(new ImageBuildRequest { Project = Project(), Format = DiskFormat.Raw });
            Assert.Equal("demo", image.Name);
            Assert.Equal(DiskFormat.Raw, image.Format);
            Assert.Equal(repo.ImageFile("demo", DiskFormat.Raw), image.Path);
            Assert.Equal("1.0", image.Version);
            byte[] disk = File.ReadAllBytes(image.Path);

            // Command line at 512, NUL-terminated, rest of its sector zero.
            string expected = "runscript /run/default;";
            Assert.Equal(expected, Encoding.ASCII.GetString(disk, 512, expected.Length));
            Assert.All(disk[(512 + expected.Length)..1024], b => Assert.Equal(0, b));

            // Partition 2 at 2 MiB, type 0x83; the loader's other bytes untouched.
            Assert.Equal(0x83, disk[0x1CE + 4]);
            Assert.Equal(4096u, BitConverter.ToUInt32(disk, 0x1CE + 8));
            for (int i = 0; i < loader.Length; i++)
            {
                bool partition = i >= 0x1CE && i < 0x1DE;
                bool commandLine = i >= 512 && i < 1024;
                if (!partition && !commandLine) Assert.True(loader[i] == disk[i], $"loader byte {i} changed");
            }
            Assert.All(disk[loader.Length..(2 * 1024 * 1024)], b => Assert.Equal(0, b));

            var fs = FileSystem(disk);
            Assert.Equal("HELLO-BINARY", Text(fs, "/hello"));
            Assert.Equal("127.0.0.1 project\n", Text(fs, "/etc/hosts"));       // the project overwrites the bootstrap
            Assert.Equal("env", Text(fs, "/libenviron.so"));
            Assert.Equal("/hello", Text(fs, "/run/default"));
            // The seed's '!' is data: the word holding it is quoted for OSv v0.57's grammar.
            Assert.Equal("--env=A?=b /echo.so Hey \"hey!\"", Text(fs, "/run/say_hey"));
            Assert.False(fs.Nodes.ContainsKey("/meta"));
            Assert.Equal(disk.Length, 2 * 1024 * 1024 + fs.Nodes.Count * 0 + (int)(BitConverter.ToUInt32(disk, 0x1CE + 12) * 512));
        }

        [Fact]
        public void Qcow2AndRawHoldTheSameDiskUnderQemuImg()
        {
            var project = Project();
            var (qcow, _) = Build(new ImageBuildRequest { Project = project, Name = "q", Boot = new[] { "say_hey" } });
            var (raw, _) = Build(new ImageBuildRequest { Project = project, Name = "r", Boot = new[] { "say_hey" }, Format = DiskFormat.Raw });
            Assert.Equal(DiskFormat.Qcow2, DiskFormats.Detect(qcow.Path));
            var check = TestFiles.Run("qemu-img", "check", qcow.Path);
            Assert.True(check.code == 0, check.output);
            var compare = TestFiles.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.Path, qcow.Path);
            Assert.True(compare.code == 0, compare.output);
            Assert.Equal("runscript /run/say_hey;", OsvDiskLayout.ReadCommandLine(DiskReader.Open(qcow.Path)));
        }

        [Fact]
        public void QcowLoaderIsReadToo()
        {
            string rawLoader = dir.File("loader.raw", loader);
            string qcowLoader = dir.Combine("loader.qcow2");
            var convert = TestFiles.Run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", rawLoader, qcowLoader);
            Assert.Equal(0, convert.code);
            var project = Project();
            var (a, _) = Build(new ImageBuildRequest { Project = project, Name = "from-raw", LoaderImage = rawLoader, Format = DiskFormat.Raw });
            var (b, _) = Build(new ImageBuildRequest { Project = project, Name = "from-qcow", LoaderImage = qcowLoader, Format = DiskFormat.Raw });
            Assert.Equal(File.ReadAllBytes(a.Path), File.ReadAllBytes(b.Path));
        }

        [Fact]
        public void PackagesAreMergedBootstrapFirstThenRequiresDepthFirstThenProject()
        {
            TestFiles.Package(Path.Combine(repo.PackagesPath, "base.mpm"), "name: base\ntitle: b\nauthor: t\n",
                "runtime: native\nconfig_set:\n  serve:\n    bootcmd: /server.so\n    env: {PORT: '80'}\n",
                ("etc/hosts", "base"), ("from-base", "base"), ("shared", "base"), ("server.so", "the program web boots"));
            TestFiles.Package(Path.Combine(repo.PackagesPath, "mid.mpm"), "name: mid\ntitle: m\nauthor: t\nrequire: [base]\n", null,
                ("shared", "mid"), ("from-mid", "mid"));
            TestFiles.Package(Path.Combine(repo.PackagesPath, "other.mpm"), "name: other\ntitle: o\nauthor: t\nrequire: [base]\n", null,
                ("shared", "other"));
            var project = Project("app", "runtime: native\nconfig_set:\n  web:\n    base: base:serve\n    env: {PORT: '8080'}\nconfig_set_default: web\n",
                "name: app\ntitle: app\nauthor: t\nrequire: [mid, other]\n");
            var (image, plan) = Build(new ImageBuildRequest { Project = project, Format = DiskFormat.Raw });
            Assert.Equal(new[] { "osv.bootstrap", "base", "mid", "other", "app" }, plan.Composed.Packages);
            var fs = FileSystem(File.ReadAllBytes(image.Path));
            Assert.Equal("other", Text(fs, "/shared"));
            Assert.Equal("base", Text(fs, "/from-base"));
            Assert.Equal("127.0.0.1 project\n", Text(fs, "/etc/hosts"));
            Assert.Equal("--env=PORT?=8080 /server.so", Text(fs, "/run/web"));
            Assert.Equal("--env=PORT?=80 /server.so", Text(fs, "/run/serve"));
            Assert.Equal("runscript /run/web;", plan.CommandLine);
        }

        [Fact]
        public void MissingPackageNamesItAndHowToGetIt()
        {
            var project = Project("needs", package: "name: needs\ntitle: n\nauthor: t\nrequire: [ghost]\n");
            var e = Assert.Throws<MissingInputException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = project }));
            Assert.Equal("PackageNotFound", e.ErrorId);
            Assert.Contains("'ghost'", e.Message);
            Assert.Contains("Save-OsvPackage ghost", e.Message);
            Assert.Equal((MissingInputKind.Package, "ghost"), (e.Input.Kind, e.Input.Name));
        }

        [Fact]
        public void ThePlanAsksForWhatItLacksOnceEachThenPlansAgain()
        {
            var project = Project("needs", package: "name: needs\ntitle: n\nauthor: t\nrequire: [ghost]\n");
            var asked = new List<MissingInput>();
            var plan = new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = project }, missing =>
            {
                asked.Add(missing);
                TestFiles.Package(Path.Combine(repo.PackagesPath, "ghost.mpm"), "name: ghost\ntitle: g\nauthor: t\n", null, ("ghost.txt", "boo"));
                return true;
            });
            Assert.Equal(new[] { "package ghost" }, asked.Select(a => a.ToString()));
            Assert.Contains("needs", plan.Composed.Packages);
            // A fetch that brings nothing is asked once, then the error stands.
            var never = new List<MissingInput>();
            Assert.Throws<MissingInputException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = Project(), LoaderImage = "nothing-here" }, m => { never.Add(m); return true; }));
            Assert.Single(never);
        }

        // Offline, -PullMissing's download fails: the user reads why it failed, not "not in the repository" alone.
        [Fact]
        public void AFetchThatFailsSaysWhyAndWhatWasMissing()
        {
            var e = Assert.Throws<OsvException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = Project(), LoaderImage = "nothing-here" },
                m => throw new OsvException(ErrorIds.ReleaseSourceUnreachable, OsvErrorKind.ConnectionError, "cannot reach https://api.github.com (Name or service not known)")));
            Assert.Equal(ErrorIds.ReleaseSourceUnreachable, e.ErrorId);
            Assert.Equal(OsvErrorKind.ConnectionError, e.Kind);
            Assert.Contains("loader nothing-here is not in the repository, and downloading it failed: cannot reach https://api.github.com", e.Message);
        }

        [Fact]
        public void PackageCycleIsNamed()
        {
            TestFiles.Package(Path.Combine(repo.PackagesPath, "p1.mpm"), "name: p1\ntitle: a\nauthor: t\nrequire: [p2]\n", null);
            TestFiles.Package(Path.Combine(repo.PackagesPath, "p2.mpm"), "name: p2\ntitle: a\nauthor: t\nrequire: [p1]\n", null);
            var project = Project("cyc", package: "name: cyc\ntitle: n\nauthor: t\nrequire: [p1]\n");
            var e = Assert.Throws<OsvException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = project }));
            Assert.Equal("PackageCycle", e.ErrorId);
            Assert.Contains("p1 -> p2 -> p1", e.Message);
        }

        [Fact]
        public void NoBootstrapLeavesItOut()
        {
            var (image, plan) = Build(new ImageBuildRequest { Project = Project(), Format = DiskFormat.Raw, Compose = new ComposeOptions { NoBootstrap = true } });
            Assert.Equal(new[] { "demo" }, plan.Composed.Packages);
            Assert.False(FileSystem(File.ReadAllBytes(image.Path)).Nodes.ContainsKey("/libenviron.so"));
        }

        [Fact]
        public void CapstanIgnoreDropsMatchesAndMetaIsNeverCopied()
        {
            var project = Project();
            dir.File("demo/.capstanignore", "# build output\n/*.o\n/build/*\n/**/secret\n");
            dir.File("demo/main.o", "o");
            dir.File("demo/src/main.o", "kept: not at the root");
            dir.File("demo/build/x/y", "gone");
            dir.File("demo/a/b/secret", "gone");
            dir.File("demo/.git/HEAD", "gone");
            var (image, _) = Build(new ImageBuildRequest { Project = project, Format = DiskFormat.Raw });
            var fs = FileSystem(File.ReadAllBytes(image.Path));
            Assert.False(fs.Nodes.ContainsKey("/main.o"));
            Assert.True(fs.Nodes.ContainsKey("/src/main.o"));
            Assert.False(fs.Nodes.ContainsKey("/build/x"));
            Assert.False(fs.Nodes.ContainsKey("/a/b/secret"));
            Assert.False(fs.Nodes.ContainsKey("/.git"));
            Assert.False(fs.Nodes.ContainsKey("/.capstanignore"));
            Assert.False(fs.Nodes.ContainsKey("/meta"));
        }

        [Fact]
        public void SymlinksInsideAreKeptAbsoluteOnesBecomeGuestPathsOutsideOnesAreRefused()
        {
            var project = Project();
            Directory.CreateDirectory(dir.Combine("demo/usr/lib"));
            dir.File("demo/usr/lib/libx.so.1", "x");
            File.CreateSymbolicLink(dir.Combine("demo/usr/lib/libx.so"), "libx.so.1");
            File.CreateSymbolicLink(dir.Combine("demo/abs"), dir.Combine("demo/usr/lib/libx.so.1"));
            File.CreateSymbolicLink(dir.Combine("demo/dirlink"), "usr/lib");
            var (image, _) = Build(new ImageBuildRequest { Project = project, Format = DiskFormat.Raw });
            var fs = FileSystem(File.ReadAllBytes(image.Path));
            Assert.Equal("libx.so.1", fs.Nodes["/usr/lib/libx.so"].Target);
            Assert.Equal("/usr/lib/libx.so.1", fs.Nodes["/abs"].Target);
            Assert.Equal("usr/lib", fs.Nodes["/dirlink"].Target);

            File.CreateSymbolicLink(dir.Combine("demo/escape"), "../../etc/passwd");
            var e = Assert.Throws<OsvException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = project }));
            Assert.Equal("SymlinkOutsideProject", e.ErrorId);
            var kept = new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = project, Compose = new ComposeOptions { KeepExternalSymlinks = true } });
            Assert.Equal("../../etc/passwd", ((OsvPS.Core.Rofs.TreeSymlink)kept.Composed.Tree.Find("/escape")!).Target);
        }

        [Fact]
        public void UnknownBootNameListsTheImagesConfigSets()
        {
            var e = Assert.Throws<OsvException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = Project(), Boot = new[] { "nope" } }));
            Assert.Equal(ErrorIds.ConfigSetNotFound, e.ErrorId);
            Assert.Contains("default, say_hey", e.Message);
        }

        [Fact]
        public void MissingLoaderSaysHowToGetOne()
        {
            var e = Assert.Throws<MissingInputException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = Project(), LoaderImage = "nothing-here" }));
            Assert.Equal("LoaderImageNotFound", e.ErrorId);
            Assert.Contains("Import-OsvImage", e.Message);
        }

        [Fact]
        public void LoaderWithoutBootSignatureIsRefused()
        {
            var bad = TestFiles.Loader();
            bad[510] = 0;
            string path = dir.File("bad-loader.img", bad);
            var e = Assert.Throws<OsvException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = Project(), LoaderImage = path }));
            Assert.Equal("LoaderImageInvalid", e.ErrorId);
        }

        [Fact]
        public void CommandLineOverTheLimitIsRefused()
        {
            var e = Assert.Throws<OsvException>(() => new ImageBuilder(repo).Plan(new ImageBuildRequest { Project = Project(), CommandLine = new string('x', 32256) }));
            Assert.Equal(ErrorIds.CommandLineTooLong, e.ErrorId);
        }

        [Fact]
        public void UnchangedInputsAreUpToDateAndAnyChangeIsNot()
        {
            var project = Project();
            var builder = new ImageBuilder(repo);
            var (image, _) = Build(new ImageBuildRequest { Project = project });
            var written = File.GetLastWriteTimeUtc(image.Path);
            Assert.True(builder.IsUpToDate(builder.Plan(new ImageBuildRequest { Project = project })));
            Assert.False(builder.IsUpToDate(builder.Plan(new ImageBuildRequest { Project = project, Boot = new[] { "say_hey" } })));
            Assert.False(builder.IsUpToDate(builder.Plan(new ImageBuildRequest { Project = project, Format = DiskFormat.Raw })));
            File.WriteAllText(dir.Combine("demo/hello"), "HELLO-BINARY-2");
            File.SetLastWriteTimeUtc(dir.Combine("demo/hello"), DateTime.UtcNow.AddSeconds(5));
            Assert.False(builder.IsUpToDate(builder.Plan(new ImageBuildRequest { Project = project })));
            var (again, _) = Build(new ImageBuildRequest { Project = project });
            Assert.Equal("HELLO-BINARY-2", Text(FileSystem(ReadAll(again.Path)), "/hello"));
        }

        [Fact]
        public void ASecondConcurrentBuildFailsClearly()
        {
            var project = Project();
            var builder = new ImageBuilder(repo);
            var plan = builder.Plan(new ImageBuildRequest { Project = project });
            Directory.CreateDirectory(repo.ImageFolder("demo"));
            using (new FileStream(Path.Combine(repo.ImageFolder("demo"), ".build.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                var e = Assert.Throws<OsvException>(() => builder.Build(plan, false, null, CancellationToken.None));
                Assert.Equal("ImageLocked", e.ErrorId);
            }
            Assert.NotNull(builder.Build(plan, false, null, CancellationToken.None));
        }

        [Fact]
        public void CancelledBuildLeavesThePreviousImageAndNoTemporaryFile()
        {
            var project = Project();
            var (first, _) = Build(new ImageBuildRequest { Project = project });
            byte[] before = File.ReadAllBytes(first.Path);
            dir.File("demo/big", new byte[8 * 1024 * 1024]);
            var builder = new ImageBuilder(repo);
            var plan = builder.Plan(new ImageBuildRequest { Project = project });
            using var cts = new CancellationTokenSource();
            var progress = new CancelAfter(cts, 1);
            Assert.ThrowsAny<OperationCanceledException>(() => builder.Build(plan, false, progress, cts.Token));
            Assert.Equal(before, File.ReadAllBytes(first.Path));
            Assert.Empty(Directory.GetFiles(repo.ImageFolder("demo"), "*.tmp", SearchOption.AllDirectories));
            Assert.Empty(Directory.GetFiles(repo.ImageFolder("demo"), ".*lock"));
        }

        private sealed class CancelAfter : IProgress<BuildProgress>
        {
            private readonly CancellationTokenSource cts;
            private int left;
            public CancelAfter(CancellationTokenSource cts, int reports) { this.cts = cts; left = reports; }
            public void Report(BuildProgress value) { if (--left <= 0) cts.Cancel(); }
        }

        [Fact]
        public void OtherFormatsGoThroughQemuImg()
        {
            var (image, _) = Build(new ImageBuildRequest { Project = Project(), Format = DiskFormat.Vmdk });
            Assert.Equal(DiskFormat.Vmdk, image.Format);
            Assert.EndsWith("demo.vmdk", image.Path);
            var info = TestFiles.Run("qemu-img", "info", image.Path);
            Assert.Contains("file format: vmdk", info.output);
            Assert.Equal("demo", Assert.Single(repo.GetImages(), i => i.Name == "demo").Name);
        }

        [Fact]
        public void TheSeedsRunYamlWithNoDefaultSetBuildsWithAnEmptyCommandLineAndEverySet()
        {
            var project = Project("seed", "runtime: native\nconfig_set:\n  say_hey:\n    bootcmd: /echo.so Hey hey!\n  hello:\n    bootcmd: /hello\n");
            var (image, plan) = Build(new ImageBuildRequest { Project = project, Format = DiskFormat.Raw });
            Assert.Equal("", plan.CommandLine);
            byte[] disk = File.ReadAllBytes(image.Path);
            Assert.All(disk[512..1024], b => Assert.Equal(0, b));
            var fs = FileSystem(disk);
            Assert.Equal("/echo.so Hey \"hey!\"", Text(fs, "/run/say_hey"));
            Assert.Equal("/hello", Text(fs, "/run/hello"));
            var e = Assert.Throws<OsvException>(() => BootCommands.RequireConfigSet(plan.CommandLine, () => new[] { "hello", "say_hey" }, image.Name));
            Assert.Contains("-Boot: hello, say_hey", e.Message);
        }

        [Fact]
        public void ASetBootingAProgramTheImageLacksIsRefusedBeforeAnythingIsWritten()
        {
            var project = Project("lacking", "runtime: native\nconfig_set:\n  default:\n    bootcmd: /hello\n  web:\n    bootcmd: /server.so --port 80\n");
            var e = Assert.Throws<OsvException>(() => Build(new ImageBuildRequest { Project = project }));
            Assert.Equal(ErrorIds.BootProgramNotFound, e.ErrorId);
            Assert.Contains("config set 'web' of lacking boots '/server.so'", e.Message);
            Assert.False(Directory.Exists(repo.ImageFolder("lacking")));

            var (image, _) = Build(new ImageBuildRequest { Project = project, SkipProgramCheck = true });
            Assert.True(File.Exists(image.Path));
        }

        [Fact]
        public void CapstansPackageNamesWithSpacesBuildAndRequireEachOther()
        {
            TestFiles.Package(Path.Combine(repo.PackagesPath, "Capstan helper.mpm"), "name: Capstan helper\ntitle: helper\nauthor: MIKE\n",
                "runtime: native\nconfig_set:\n  tool:\n    bootcmd: /helper.so\n", ("helper.so", "helper"));
            var project = Project("tester", "runtime: native\nconfig_set:\n  default:\n    base: Capstan helper:tool\n",
                "name: Capstan tester\ntitle: MPM Test package\nauthor: MIKE\nversion: 0.23-24-gc60331d\nrequire:\n - Capstan helper\n" +
                "binary:\n app: /usr/bin/app.so\n");
            var (image, plan) = Build(new ImageBuildRequest { Project = project, Format = DiskFormat.Raw });
            Assert.Equal("Capstan-tester", image.Name);
            Assert.Equal(new[] { "osv.bootstrap", "Capstan helper", "Capstan tester" }, plan.Composed.Packages);
            Assert.Equal("/helper.so", Text(FileSystem(File.ReadAllBytes(image.Path)), "/run/default"));
        }

        [Fact]
        public void ImagesListWithNamespacesAndCapstanLayout()
        {
            dir.File("capstan/repository/mike/osv-loader/osv-loader.qemu", loader);
            dir.File("capstan/repository/mike/osv-loader/index.yaml", "format_version: \"1\"\nversion: v0.57.0\ncreated: 2024-01-02 03:04\ndescription: OSv loader\nbuild: capstan\n");
            var images = repo.GetImages().ToList();
            Assert.Equal(new[] { "mike/osv-loader", "osv-loader" }, images.Select(i => i.Name));
            var mike = images[0];
            Assert.Equal("v0.57.0", mike.Version);
            Assert.Equal("OSv loader", mike.Description);
            Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 0), mike.Created);
            Assert.Equal(DiskFormat.Raw, mike.Format);
            Assert.Equal(loader.Length, mike.VirtualSize);
        }
    }
}
