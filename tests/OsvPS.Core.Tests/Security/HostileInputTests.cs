using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Qemu;
using OsvPS.Core.IO;
using OsvPS.Core.Packaging;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.Security
{
    /// <summary>Reproductions of issue 16's attacks and faults: each must end in a clear error, never a write outside, a hang or a crash.</summary>
    public sealed class HostileInputTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();

        public void Dispose() => dir.Dispose();

        [Theory]
        [InlineData("name: ../../evil\ntitle: t\nauthor: a\n")]
        [InlineData("name: ok\ntitle: t\nauthor: a\nrequire:\n  - ../../../etc/cron.d/x\n")]
        [InlineData("name: a/b\ntitle: t\nauthor: a\n")]
        public void PackageNamesThatWouldLeaveThePackagesFolderAreRefused(string yaml)
        {
            var e = Assert.Throws<OsvException>(() => PackageYaml.Parse(yaml, "package.yaml"));
            Assert.Equal(ErrorIds.PackageYamlInvalid, e.ErrorId);
            Assert.Contains("not a valid package name", e.Message);
        }

        [Theory]
        [InlineData("../x")]
        [InlineData("..")]
        [InlineData("a/b")]
        [InlineData("")]
        public void EveryPackagePathGoesThroughTheNameCheck(string name)
        {
            var repo = new CapstanRepository(dir.Combine("capstan"));
            Assert.Equal("PackageNameInvalid", Assert.Throws<OsvException>(() => repo.FindPackageArchive(name)).ErrorId);
            Assert.Equal("PackageNameInvalid", Assert.Throws<OsvException>(() => repo.PackageFile(name, ".mpm")).ErrorId);
        }

        [Fact]
        public void InstanceNamesCannotLeadOutOfTheInstancesFolder()
        {
            var manager = new QemuEngine(new CapstanRepository(dir.Combine("capstan")));
            Assert.Equal("InstanceNameInvalid", Assert.Throws<OsvException>(() => manager.Get("../x", CancellationToken.None)).ErrorId);
            Assert.Equal("InstanceNameInvalid", Assert.Throws<OsvException>(() => manager.ReadConsole("../../etc", null, CancellationToken.None)).ErrorId);
        }

        [Theory]
        [InlineData(60_000, "[", "]")]
        [InlineData(60_000, "{a: ", "}")]
        public void DeepYamlIsRefusedWithoutExhaustingTheStack(int depth, string open, string close)
        {
            string text = "runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: " + string.Concat(Enumerable.Repeat(open, depth)) + string.Concat(Enumerable.Repeat(close, depth)) + "\n";
            var e = Assert.Throws<OsvException>(() => RunYaml.Parse(text, "run.yaml"));
            Assert.Equal(ErrorIds.RunYamlInvalid, e.ErrorId);
            Assert.Contains("deeper than 64", e.Message);
        }

        private static byte[] TarHeader(string name, Action<byte[]> size)
        {
            var h = new byte[512];
            Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
            Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
            size(h);
            Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
            h[156] = (byte)'0';
            for (int i = 148; i < 156; i++) h[i] = 32;
            long sum = h.Sum(b => (long)b);
            Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
            return h;
        }

        [Theory]
        [InlineData("negative base-256")]
        [InlineData("huge base-256")]
        [InlineData("not octal")]
        [InlineData("beyond the archive")]
        public void BadTarSizesAreAnErrorNotALoop(string which)
        {
            var header = TarHeader("file", h =>
            {
                switch (which)
                {
                    case "negative base-256": h[124] = 0xFF; for (int i = 125; i < 136; i++) h[i] = 0xFF; break;
                    case "huge base-256": h[124] = 0x80; for (int i = 125; i < 136; i++) h[i] = 0x7F; break;
                    case "not octal": Encoding.ASCII.GetBytes("99999999999\0").CopyTo(h, 124); break;
                    default: Encoding.ASCII.GetBytes("77777777777\0").CopyTo(h, 124); break;
                }
            });
            var tar = new MemoryStream(header.Concat(new byte[2048]).ToArray());
            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<OsvException>(() => TarReader.ReadEntries(tar, "p.mpm"));
            Assert.Equal("PackageInvalid", e.ErrorId);
        }

        [Fact]
        public void ABacktrackingIgnorePatternEndsInTime()
        {
            var rules = new IgnoreRules(new[] { "/**/**/**/**/**/**/**/**/**/**/**/**/x", "/" + string.Concat(Enumerable.Repeat("a*", 30)) + "b" });
            string deep = "/" + string.Join("/", Enumerable.Repeat("d", 40)) + "/y";
            string longName = "/" + new string('a', 200);
            foreach (string path in new[] { deep, longName })
            {
                try
                {
                    Assert.False(rules.Matches(path));
                }
                catch (OsvException e)
                {
                    Assert.Equal("IgnorePatternTooComplex", e.ErrorId);
                }
            }
            Assert.True(rules.Matches("/" + string.Join("/", Enumerable.Repeat("d", 40)) + "/x"));
        }

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
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void TheSocketFolderMustBeThisUsersAlone()
        {
            string folder = dir.Combine("sockets");
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, (UnixFileMode)0x1FF); // 0777, as a umask of 000 leaves it
            HostProcess.PrivateFolder(folder);
            Assert.Equal((UnixFileMode)0x1C0, File.GetUnixFileMode(folder)); // made 0700
            string link = dir.Combine("link");
            Directory.CreateSymbolicLink(link, folder);
            Assert.Equal("InstanceFolderUnsafe", Assert.Throws<OsvException>(() => HostProcess.PrivateFolder(link)).ErrorId);
            if (HostProcess.UserId == 0)
            {
                // Another user's folder (root can make one here): refused, whatever its mode.
                string theirs = dir.Combine("theirs");
                Directory.CreateDirectory(theirs);
                var chown = TestFiles.Run("chown", "65534", theirs);
                Assert.True(chown.code == 0, chown.output);
                Assert.Equal("InstanceFolderUnsafe", Assert.Throws<OsvException>(() => HostProcess.PrivateFolder(theirs)).ErrorId);
            }
        }

        [Theory]
        [InlineData("br0,helper=/tmp/x")]
        [InlineData("br0 x")]
        [InlineData("averyveryverylongname")]
        public void NetworkNamesCannotCarryQemuOptions(string bridge)
        {
            var e = Assert.Throws<OsvException>(() => new MachineOptions { Network = NetworkMode.Bridge, Bridge = bridge }.Validate());
            Assert.Equal("InstanceSettingInvalid", e.ErrorId);
        }

        [Theory]
        [InlineData("/x.img:format=raw,file.driver=ssh")]
        [InlineData("/x.img:format=nonsense")]
        public void VolumeFormatsAreFromAList(string volume)
            => Assert.Equal("VolumeInvalid", Assert.Throws<OsvException>(() => VolumeSpec.Parse(volume)).ErrorId);

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

        [Fact]
        public void EmptyAndCutPackagesAreRefusedAndNotCached()
        {
            string cache = dir.Combine("cache");
            string empty = dir.File("packages/empty.mpm", new byte[0]);
            Assert.Equal("PackageInvalid", Assert.Throws<OsvException>(() => PackageArchive.Open("empty", empty, cache)).ErrorId);
            string whole = dir.Combine("packages/whole.mpm");
            TestFiles.Package(whole, "name: whole\ntitle: t\nauthor: a\n", null, ("big.txt", new string('x', 200_000)));
            byte[] bytes = File.ReadAllBytes(whole);
            string cut = dir.File("packages/cut.mpm", bytes[..(bytes.Length / 2)]);
            Assert.Equal("PackageInvalid", Assert.Throws<OsvException>(() => PackageArchive.Open("cut", cut, cache)).ErrorId);
            Assert.Empty(Directory.GetFiles(cache, "cut-*"));
        }

        [Fact]
        public void APackageReplacedWithTheSameSizeAndTimeIsUnpackedAgain()
        {
            string cache = dir.Combine("cache");
            string path = dir.Combine("packages/p.mpm");
            Directory.CreateDirectory(dir.Combine("packages"));
            void Write(string file, string title)
            {
                // An uncompressed tar (packages may be either): equal-length content gives equal sizes.
                using var f = File.Create(file);
                var tar = new TarWriter(f);
                var when = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                tar.AddFile("meta/package.yaml", Encoding.UTF8.GetBytes($"name: p\ntitle: {title}\nauthor: a\n"), when);
                tar.Finish();
            }
            Write(path, "first");
            var time = File.GetLastWriteTimeUtc(path);
            Assert.Equal("first", PackageArchive.Open("p", path, cache).Manifest!.Title);
            string other = dir.Combine("other.mpm");
            Write(other, "other");
            Assert.Equal(new FileInfo(path).Length, new FileInfo(other).Length);
            File.Copy(other, path, overwrite: true);
            File.SetLastWriteTimeUtc(path, time);
            Assert.Equal("other", PackageArchive.Open("p", path, cache).Manifest!.Title);
            Assert.Single(Directory.GetFiles(cache, "p-*.tar")); // the older unpacking is pruned
        }

        [Fact]
        public void RunYamlThatIsNotUtf8IsAnError()
        {
            string project = dir.Combine("proj");
            Directory.CreateDirectory(Path.Combine(project, "meta"));
            File.WriteAllBytes(Path.Combine(project, "meta", "run.yaml"), Encoding.ASCII.GetBytes("runtime: native\nconfig_set:\n  a:\n    bootcmd: /x ").Concat(new byte[] { 0xC3, 0x28, (byte)'\n' }).ToArray());
            var e = Assert.Throws<OsvException>(() => ProjectStore.Load(project));
            Assert.Contains("not UTF-8", e.Message);
        }

        [Fact]
        public void AMalformedImageDoesNotHideTheOthers()
        {
            var repo = new CapstanRepository(dir.Combine("capstan"));
            dir.File("capstan/repository/good/good.qemu", TestFiles.Loader());
            var header = new byte[1024];
            Encoding.ASCII.GetBytes("QFI\xfb").CopyTo(header, 0);
            header[0] = (byte)'Q'; header[1] = (byte)'F'; header[2] = (byte)'I'; header[3] = 0xFB;
            header[7] = 3;               // version 3
            header[23] = 16;             // cluster bits
            for (int i = 24; i < 32; i++) header[i] = 0xFF; // a 16 EiB virtual size
            header[39] = 1;              // one L1 entry
            for (int i = 40; i < 48; i++) header[i] = 0xFF; // at a negative offset
            dir.File("capstan/repository/bad/bad.qemu", header);
            var images = repo.GetImages().ToList();
            Assert.Equal(new[] { "bad", "good" }, images.Select(i => i.Name));
            Assert.Null(images[0].VirtualSize);
            Assert.Equal(1 << 20, images[1].VirtualSize);
        }

        [Fact]
        public void AnOversizedProgramHeaderEntryIsRefusedBeforeAllocating()
        {
            var bytes = File.ReadAllBytes("/usr/bin/gzip");
            bytes[54] = 0xFF; bytes[55] = 0xFF; // e_phentsize 65535
            string path = dir.File("bad-elf", bytes);
            Assert.Equal(ErrorIds.ElfFormatInvalid, Assert.Throws<OsvException>(() => OsvPS.Core.Elf.ElfFile.Read(path)).ErrorId);
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
