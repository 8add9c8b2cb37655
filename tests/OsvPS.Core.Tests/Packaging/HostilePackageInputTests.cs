using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    /// <summary>Package names, archives and project files made to escape, loop or exhaust: each ends in a clear error.</summary>
    public sealed class HostilePackageInputTests : IDisposable
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
    }
}
