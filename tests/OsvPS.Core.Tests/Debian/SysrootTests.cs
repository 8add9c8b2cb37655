using System;
using System.IO;
using OsvPS.Core.Debian;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Debian
{
    public class SysrootTests
    {
        [Fact]
        public void FollowsLinksWithoutLeavingTheRoot()
        {
            using var dir = new TempDir();
            dir.File("usr/lib/x86_64-linux-gnu/libz.so.1.3", "z");
            dir.File("etc/app.conf", "conf");
            Directory.CreateSymbolicLink(dir.Combine("lib"), "usr/lib");
            File.CreateSymbolicLink(dir.Combine("usr/lib/x86_64-linux-gnu/libz.so.1"), "libz.so.1.3");
            // Absolute targets and '..' past the top mean this root, not the host's.
            File.CreateSymbolicLink(dir.Combine("usr/app.conf"), "/etc/app.conf");
            File.CreateSymbolicLink(dir.Combine("usr/up.conf"), "../../../../../etc/app.conf");
            File.CreateSymbolicLink(dir.Combine("usr/passwd"), "/etc/passwd");
            var root = new Sysroot(dir.Path);
            Assert.Equal("/usr/lib/x86_64-linux-gnu/libz.so.1", root.Locate("/lib/x86_64-linux-gnu/libz.so.1"));
            Assert.Equal(SysrootEntryType.SymbolicLink, root.TypeOf(root.Locate("/lib/x86_64-linux-gnu/libz.so.1")!));
            Assert.Equal("/usr/lib/x86_64-linux-gnu/libz.so.1.3", root.Resolve("/lib/x86_64-linux-gnu/libz.so.1"));
            Assert.Equal("/etc/app.conf", root.Resolve("/usr/app.conf"));
            Assert.Equal("/etc/app.conf", root.Resolve("/usr/up.conf"));
            Assert.Equal(dir.Combine("etc/app.conf"), root.Host(root.Resolve("/usr/up.conf")!));
            // /etc/passwd of the host exists; the root has none.
            Assert.Equal(SysrootEntryType.Missing, root.TypeOf(root.Resolve("/usr/passwd")!));
            Assert.Null(root.Locate("/nowhere/x"));
            Assert.Null(root.Locate("/etc/app.conf/x"));
        }

        [Fact]
        public void RefusesLinkLoops()
        {
            using var dir = new TempDir();
            Directory.CreateSymbolicLink(dir.Combine("a"), "b");
            Directory.CreateSymbolicLink(dir.Combine("b"), "a");
            Directory.CreateSymbolicLink(dir.Combine("c"), "c/d");
            var root = new Sysroot(dir.Path);
            Assert.Equal(ErrorIds.FileReadFailed, Assert.Throws<OsvException>(() => root.Resolve("/a/x")).ErrorId);
            Assert.Equal(ErrorIds.FileReadFailed, Assert.Throws<OsvException>(() => root.Locate("/c/x")).ErrorId);
        }

        [Theory]
        [InlineData("/usr/lib/python3.11/sitecustomize.py", "/etc/python3.11/sitecustomize.py", "../../../etc/python3.11/sitecustomize.py")]
        [InlineData("/etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default", "../sites-available/default")]
        [InlineData("/usr/bin/python3", "python3.11", "python3.11")]
        [InlineData("/bin", "/", ".")]
        [InlineData("/usr/x", "/usr", ".")]
        public void MakesAbsoluteLinkTargetsRelative(string link, string target, string expected)
        {
            Assert.Equal(expected, DebianLayout.RelativeTarget(link, target));
            Assert.Equal(Sysroot.Join(Sysroot.Parent(link), target), Sysroot.Join(Sysroot.Parent(link), expected));
        }

        [Theory]
        [InlineData("/usr/share/doc/x/copyright", DebianContent.Documentation)]
        [InlineData("/usr/share/man/man1/x.1.gz", DebianContent.ManPages)]
        [InlineData("/usr/share/locale/de/LC_MESSAGES/x.mo", DebianContent.Locales)]
        [InlineData("/usr/share/docs/x", DebianContent.None)]
        [InlineData("/usr/lib/python3.11/json/__init__.py", DebianContent.None)]
        public void KnowsOptionalContent(string path, DebianContent content) => Assert.Equal(content, DebianLayout.ContentOf(path));
    }
}
