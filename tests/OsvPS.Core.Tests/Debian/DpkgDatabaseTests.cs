using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Debian;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Debian
{
    public class DpkgDatabaseTests
    {
        [Theory]
        [InlineData("usr/bin/x", "is not an absolute path")]
        [InlineData("/usr/../etc/shadow", "has a '..' part")]
        [InlineData("/usr/./bin", "has a '.' part")]
        public void FileListsHoldPlainAbsolutePathsOnly(string line, string why)
        {
            var e = Assert.Throws<OsvException>(() => DpkgFileList.Parse(new[] { "/.", "/usr", line }, "x.list"));
            Assert.Equal(ErrorIds.DpkgDatabaseInvalid, e.ErrorId);
            Assert.Contains("line 3", e.Message);
            Assert.Contains(why, e.Message);
        }

        [Fact]
        public void FileListsDropTheRootAndRepeats()
        {
            Assert.Equal(new[] { "/usr", "/usr/bin", "/usr/bin/x" }, DpkgFileList.Parse(new[] { "/.", "/usr", "/usr/bin/", "/usr/bin/x", "/usr/bin/x", "" }, "x.list"));
        }

        // A root with a dpkg database of its own: packages by section, an alternative, a virtual package, an Essential one,
        // a maintainer scripts' helper (admin), and a library whose dependencies are in the named package's section and the kernel's.
        private static DpkgDatabase FakeRoot(TempDir dir)
        {
            dir.File("var/lib/dpkg/status", string.Join("\n\n", new[]
            {
                "Package: app\nStatus: install ok installed\nSection: web\nArchitecture: amd64\nDepends: absent | app-data, libz, httpd-virtual, base-thing, app-gone, helper",
                "Package: helper\nStatus: install ok installed\nSection: admin\nArchitecture: all",
                "Package: libz-web\nStatus: install ok installed\nSection: web\nArchitecture: all",
                "Package: libc-like\nStatus: install ok installed\nSection: libs\nArchitecture: amd64",
                "Package: zone-data\nStatus: install ok installed\nSection: localization\nArchitecture: all",
                "Package: app-data\nStatus: install ok installed\nSection: web\nArchitecture: all\nDepends: app-more",
                "Package: app-more\nStatus: install ok installed\nSection: web\nArchitecture: all",
                "Package: libz\nStatus: install ok installed\nSection: libs\nArchitecture: amd64\nPre-Depends: zone-data\nDepends: libz-web, libc-like",
                "Package: provider\nStatus: install ok installed\nSection: web\nArchitecture: amd64\nProvides: httpd-virtual",
                "Package: base-thing\nStatus: install ok installed\nSection: web\nArchitecture: amd64\nEssential: yes",
                "Package: app-gone\nStatus: deinstall ok config-files\nSection: web\nArchitecture: amd64",
                "Package: libz\nStatus: install ok installed\nSection: libs\nArchitecture: i386",
            }) + "\n");
            dir.File("var/lib/dpkg/info/app.list", "/.\n/usr\n/usr/bin\n/usr/bin/app\n");
            dir.File("var/lib/dpkg/info/libz:amd64.list", "/.\n/lib\n/lib/libz.so.1\n");
            return DpkgDatabase.Open(new Sysroot(dir.Path));
        }

        // RunTime: libz (libs) comes, with zone-data (localization) and libz-web (web, the named package's section), not
        // libc-like (the kernel stands in for it) nor helper (admin).
        [Theory]
        [InlineData(DebianDependencyScope.RunTime, "app,app-data,libz,provider,app-more,zone-data,libz-web")]
        [InlineData(DebianDependencyScope.Section, "app,app-data,provider,app-more")]
        [InlineData(DebianDependencyScope.All, "app,app-data,libz,provider,helper,app-more,zone-data,libz-web,libc-like")]
        [InlineData(DebianDependencyScope.None, "app")]
        public void SelectsDependenciesByScope(DebianDependencyScope scope, string expected)
        {
            using var dir = new TempDir();
            var database = FakeRoot(dir);
            var selected = database.Closure(new[] { database.Find("app") }, scope, p => p.Name == "libc-like");
            Assert.Equal(expected, string.Join(",", selected.Select(s => s.Package.Name)));
            Assert.Null(selected[0].NeededBy);
            Assert.All(selected.Skip(1), s => Assert.NotNull(s.NeededBy));
            Assert.All(selected, s => Assert.Equal("app", s.Named.Name));
            if (scope != DebianDependencyScope.None && scope != DebianDependencyScope.Section)
            {
                Assert.Equal("libz", selected.Single(s => s.Package.Name == "libz-web").NeededBy!.Name);
                Assert.Equal("amd64", selected.Single(s => s.Package.Name == "libz").Package.Architecture);
            }
        }

        [Fact]
        public void FindsInstalledPackagesAndSaysWhyNot()
        {
            using var dir = new TempDir();
            var database = FakeRoot(dir);
            Assert.Equal("i386", database.Find("libz:i386").Architecture);
            Assert.Equal("amd64", database.Find("libz").Architecture);
            Assert.Equal(new[] { "/usr", "/usr/bin", "/usr/bin/app" }, database.Files(database.Find("app")));
            Assert.Equal(new[] { "/lib", "/lib/libz.so.1" }, database.Files(database.Find("libz")));
            var gone = Assert.Throws<OsvException>(() => database.Find("app-gone"));
            Assert.Equal(ErrorIds.DebianPackageNotInstalled, gone.ErrorId);
            Assert.Contains("config-files", gone.Message);
            var none = Assert.Throws<OsvException>(() => database.Find("nothing"));
            Assert.Equal(ErrorIds.DebianPackageNotFound, none.ErrorId);
            Assert.Contains("virtual package provided by provider", Assert.Throws<OsvException>(() => database.Find("httpd-virtual")).Message);
            Assert.Equal(ErrorIds.DpkgDatabaseNotFound, Assert.Throws<OsvException>(() => DpkgDatabase.Open(new Sysroot(dir.Combine("usr")))).ErrorId);
        }

        // dpkg itself is the oracle on this machine: its lists, and which package owns a file.
        [Fact]
        public void AgreesWithDpkgOnThisMachine()
        {
            if (!File.Exists(DpkgDatabase.StatusPath) || !TestFiles.Has("dpkg-query"))
            {
                return;
            }
            var database = DpkgDatabase.Open(new Sysroot("/"));
            var (code, output) = TestFiles.Run("dpkg-query", "-L", "dpkg");
            Assert.Equal(0, code);
            Assert.Equal(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l != "/.").Distinct(), database.Files(database.Find("dpkg")));
            foreach (string path in new[] { "/usr/bin/dpkg", "/etc/dpkg/dpkg.cfg" })
            {
                var (found, owner) = TestFiles.Run("dpkg-query", "-S", path);
                Assert.Equal(0, found);
                Assert.Equal(owner.Split(':')[0], database.Owner(path)!.Name);
            }
            Assert.Null(database.Owner("/var/lib/dpkg/status"));
            // On a merged /usr, a library's other name is the same file, and has the same owner.
            string? libz = database.Files(database.Find("zlib1g")).FirstOrDefault(p => p.EndsWith("/libz.so.1", StringComparison.Ordinal));
            if (libz != null)
            {
                string other = libz.StartsWith("/usr/", StringComparison.Ordinal) ? libz.Substring(4) : "/usr" + libz;
                Assert.Equal("zlib1g", database.Owner(other)?.Name);
            }
        }
    }
}
