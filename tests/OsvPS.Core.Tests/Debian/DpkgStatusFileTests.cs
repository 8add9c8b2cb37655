using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Debian;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Debian
{
    public class DpkgStatusFileTests
    {
        private const string Sample = @"Package: web-thing
Status: install ok installed
Priority: optional
Section: contrib/httpd
Installed-Size: 12
Architecture: amd64
Version: 1.2-3
Pre-Depends: init-system-helpers (>= 1.54~)
Depends: libc6 (>= 2.34), media-types | mime-support,
 perl:any, libfoo [amd64] <!nocheck>
Provides: httpd, httpd-cgi (= 1)
Conffiles:
 /etc/web-thing/web.conf 0123456789abcdef0123456789abcdef
 /etc/web-thing/old.conf 0123456789abcdef0123456789abcdef obsolete
 /etc/web thing/spaced.conf newconffile
Description: a thing
 that serves
 .
 the web

Package: removed-one
Status: deinstall ok config-files
Architecture: all
Essential: yes
";

        private static System.Collections.Generic.List<DpkgPackage> Parse(string text) => DpkgStatusFile.Parse(text.Replace("\r", "").Split('\n'), "status");

        [Fact]
        public void ReadsTheFieldsOsvPSUses()
        {
            var packages = Parse(Sample);
            Assert.Equal(2, packages.Count);
            var web = packages[0];
            Assert.Equal("web-thing", web.Name);
            Assert.Equal("amd64", web.Architecture);
            Assert.Equal("1.2-3", web.Version);
            Assert.Equal("httpd", web.Section);
            Assert.True(web.IsInstalled);
            Assert.False(web.Essential);
            // Pre-Depends first, then Depends; continuation lines joined; versions, arch lists and profiles dropped.
            Assert.Equal(new[] { "init-system-helpers", "libc6", "media-types|mime-support", "perl:any", "libfoo" },
                web.Depends.Select(g => string.Join("|", g.Select(r => r.ToString()))));
            Assert.Equal(new[] { "httpd", "httpd-cgi" }, web.Provides.Select(p => p.Name));
            Assert.Equal(new[] { "/etc/web-thing/web.conf", "/etc/web-thing/old.conf", "/etc/web thing/spaced.conf" }, web.Conffiles.Select(c => c.Path));
            Assert.Equal(new[] { false, true, false }, web.Conffiles.Select(c => c.Obsolete));
            var removed = packages[1];
            Assert.False(removed.IsInstalled);
            Assert.Equal("config-files", removed.State);
            Assert.True(removed.Essential);
        }

        [Theory]
        [InlineData(" continued\nPackage: a\n", 1, "continuation")]
        [InlineData("Package: a\nno colon here\n", 2, "neither")]
        [InlineData("Package: a\nPackage: b\n", 2, "twice")]
        [InlineData("Package: Not_A_Name\n", 1, "not a package name")]
        [InlineData("Status: install ok installed\n", 1, "no Package field")]
        [InlineData("Package: a\nDepends: b (>= 1, c\n", 1, "Depends field of package 'a' is malformed")]
        [InlineData("Package: a\nDepends: b:Any\n", 1, "not an architecture")]
        [InlineData("Package: a\nArchitecture: ../x\n", 1, "architecture")]
        public void RefusesWhatIsNotAStatusFile(string text, int line, string why)
        {
            var e = Assert.Throws<OsvException>(() => Parse(text));
            Assert.Equal(ErrorIds.DpkgDatabaseInvalid, e.ErrorId);
            Assert.Contains($"line {line}", e.Message);
            Assert.Contains(why, e.Message);
        }

        [Fact]
        public void BoundsWhatItReads()
        {
            using var dir = new TempDir();
            string nul = dir.File("nul", "Package: a\nDescription: x\0y\n");
            Assert.Contains("NUL", Assert.Throws<OsvException>(() => DpkgStatusFile.Read(nul)).Message);
            string longLine = dir.File("long", "Package: a\nDescription: " + new string('x', 200) + "\n");
            var e = Assert.Throws<OsvException>(() => DpkgText.ReadLines(longLine, 1 << 20, 100).ToList());
            Assert.Equal(ErrorIds.DpkgDatabaseInvalid, e.ErrorId);
            Assert.Contains("longer than 100", e.Message);
            var big = Assert.Throws<OsvException>(() => DpkgText.ReadLines(longLine, 50, 1000).ToList());
            Assert.Contains("at most 50", big.Message);
            Assert.Equal(ErrorIds.FileReadFailed, Assert.Throws<OsvException>(() => DpkgText.ReadLines(dir.Combine("none"), 50, 10).ToList()).ErrorId);
        }

        [Fact]
        public void SurvivesGarbage()
        {
            // Random bytes and random mixes of real lines: a clean DpkgDatabaseInvalid or a result, nothing else.
            var random = new Random(22);
            var lines = Sample.Split('\n');
            for (int round = 0; round < 500; round++)
            {
                string text = round % 2 == 0
                    ? new string(Enumerable.Range(0, random.Next(400)).Select(_ => (char)random.Next(1, 128)).ToArray())
                    : string.Join("\n", Enumerable.Range(0, random.Next(30)).Select(_ => lines[random.Next(lines.Length)]));
                try
                {
                    Parse(text);
                }
                catch (OsvException e)
                {
                    Assert.Equal(ErrorIds.DpkgDatabaseInvalid, e.ErrorId);
                }
            }
        }

        // dpkg-query is the oracle for this machine's own status file.
        [Fact]
        public void AgreesWithDpkgQueryOnThisMachine()
        {
            if (!File.Exists(DpkgDatabase.StatusPath) || !TestFiles.Has("dpkg-query"))
            {
                return;
            }
            var (code, output) = TestFiles.Run("dpkg-query", "-W", "-f", "${Package}:${Architecture}|${Section}|${Essential}|${db:Status-Status}\n");
            Assert.Equal(0, code);
            var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.EndsWith("|installed")).OrderBy(l => l, StringComparer.Ordinal).ToList();
            var actual = DpkgStatusFile.Read(DpkgDatabase.StatusPath).Where(p => p.State == "installed")
                .Select(p => $"{p.Name}:{p.Architecture}|{p.Section}|{(p.Essential ? "yes" : "no")}|installed")
                .OrderBy(l => l, StringComparer.Ordinal).ToList();
            // dpkg-query prints the section with its area; ours drops it.
            expected = expected.Select(l => { var f = l.Split('|'); f[1] = f[1].Substring(f[1].LastIndexOf('/') + 1); return string.Join("|", f); }).ToList();
            Assert.True(expected.Count > 50, output);
            Assert.Equal(expected, actual);
        }

        // Hostile roots: a FIFO where dpkg keeps a file is refused at once (an open that waited for a writer would
        // hang the call); a field of many continuation lines is read in one pass.
        [Fact]
        public void AStatusFileOrAListThatIsAFifoIsRefusedWithoutWaiting()
        {
            using var dir = new TempDir();
            foreach (string name in new[] { "status", "info/pkg.list" })
            {
                string path = dir.Combine(name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var (code, output) = TestFiles.Run("mkfifo", path);
                Assert.True(code == 0, output);
                var read = System.Threading.Tasks.Task.Run(() => name == "status" ? (object)DpkgStatusFile.Read(path) : DpkgFileList.Read(path));
                Assert.True(((IAsyncResult)read).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), $"reading the FIFO {name} did not return");
                var e = Assert.IsType<OsvException>(read.Exception!.InnerException);
                Assert.Equal(ErrorIds.FileReadFailed, e.ErrorId);
                Assert.Contains("a FIFO (named pipe), not a regular file", e.Message);
            }
        }

        [Fact]
        public void AFieldOfTenMebibytesInContinuationLinesIsReadWhole()
        {
            const int lines = 200_000;
            var text = new System.Text.StringBuilder("Package: big\nStatus: install ok installed\nArchitecture: amd64\nDescription: large\n");
            for (int i = 0; i < lines; i++)
            {
                text.Append(' ').Append('x', 51).Append('\n');
            }
            text.Append("Version: 1\n");
            var packages = Parse(text.ToString());
            Assert.Equal("big", Assert.Single(packages).Name);
        }
    }
}
