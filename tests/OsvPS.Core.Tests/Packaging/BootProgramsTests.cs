using System.Collections.Generic;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Rofs;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.Packaging
{
    public class BootProgramsTests
    {
        private static TreeFile File(string text) => new TreeFile(new BytesSource(Encoding.ASCII.GetBytes(text), text));

        private static ImageTree Tree()
        {
            var tree = new ImageTree();
            tree.Add("/hello", File("hello"));
            tree.Add("/usr/lib/echo.so", File("echo"));
            tree.Add("/tools/cli.so", File("cli"));
            tree.Add("/opt/app/bin/server", File("server"));
            tree.Add("/bin/server", new TreeSymlink("../opt/app/bin/server", "test"));
            tree.Add("/bin/abs", new TreeSymlink("/opt/app/bin/server", "test"));
            tree.Add("/current", new TreeSymlink("opt/app", "test"));
            tree.Add("/loop-a", new TreeSymlink("loop-b", "test"));
            tree.Add("/loop-b", new TreeSymlink("loop-a", "test"));
            tree.Add("/dangling", new TreeSymlink("/nowhere", "test"));
            tree.Add("/run", new TreeDirectory());
            return tree;
        }

        private static ResolvedConfigSet Set(string name, string bootCommand, string package = "demo")
            => new ResolvedConfigSet(package, name, bootCommand, new Dictionary<string, string>());

        [Theory]
        [InlineData("/hello", "/hello")]
        [InlineData("hello", "/hello")]
        [InlineData("echo.so", "/usr/lib/echo.so")]
        [InlineData("/usr/lib/echo.so", "/usr/lib/echo.so")]
        [InlineData("tools/cli.so", "/tools/cli.so")]
        [InlineData("/tools/../hello", "/hello")]
        [InlineData("/bin/server", "/opt/app/bin/server")]
        [InlineData("/bin/abs", "/opt/app/bin/server")]
        [InlineData("/current/bin/server", "/opt/app/bin/server")]
        [InlineData("/./opt//app/bin/server", "/opt/app/bin/server")]
        public void FindsTheFileOsvWouldLoad(string program, string guestPath) => Assert.Equal(guestPath, BootPrograms.Find(Tree(), program));

        [Theory]
        [InlineData("/echo.so")]
        [InlineData("cli.so")]
        [InlineData("/tools")]
        [InlineData("/run")]
        [InlineData("/loop-a")]
        [InlineData("/dangling")]
        [InlineData("/hello/x")]
        [InlineData("")]
        public void FindsNothingWhereOsvWouldFailToLoad(string program) => Assert.Null(BootPrograms.Find(Tree(), program));

        [Fact]
        public void AMissingProgramNamesTheSetThePathAndWhereAFileOfThatNameIs()
        {
            var e = Assert.Throws<OsvException>(() => BootPrograms.Check(Tree(), new[] { Set("ok", "/hello"), Set("say_hey", "/echo.so Hey hey!") }));
            Assert.Equal(ErrorIds.BootProgramNotFound, e.ErrorId);
            Assert.Equal(OsvErrorKind.ObjectNotFound, e.Kind);
            Assert.Equal("/echo.so", e.Target);
            Assert.Contains("config set 'say_hey' of demo boots '/echo.so'", e.Message);
            Assert.Contains("the image has /usr/lib/echo.so", e.Message);
        }

        [Fact]
        public void EveryCommandOfASetIsChecked()
        {
            var e = Assert.Throws<OsvException>(() => BootPrograms.Check(Tree(), new[] { Set("two", "/hello a; tools/cli.so & /ghost.so x") }));
            Assert.Contains("'/ghost.so'", e.Message);
            Assert.Contains("Add-OsvBinary", e.Message);
        }

        [Fact]
        public void ABareNameIsLookedForInRootAndUsrLib()
        {
            var e = Assert.Throws<OsvException>(() => BootPrograms.Check(Tree(), new[] { Set("x", "ghost.so") }));
            Assert.Contains("looked in / and /usr/lib/", e.Message);
        }

        [Fact]
        public void OptionsAndEnvReferencesAreNotPrograms()
        {
            BootPrograms.Check(Tree(), new[] { Set("opts", "--env=A=1 \"--env=B?=x y\" /hello; --env=C=2 echo.so"), Set("env", "$PROGRAM --port 80") });
        }

        [Fact]
        public void ACommandOfOnlyOptionsIsRefused()
        {
            var e = Assert.Throws<OsvException>(() => BootPrograms.Check(Tree(), new[] { Set("opts", "/hello; --env=A=1") }));
            Assert.Equal(ErrorIds.BootCommandInvalid, e.ErrorId);
            Assert.Contains("no program", e.Message);
        }

        [Fact]
        public void RunscriptInsideARunFileIsExplained()
        {
            // Seen on OSv v0.57: runscript is expanded on the command line only; in a /run file it is "Failed to load object: runscript".
            var e = Assert.Throws<OsvException>(() => BootPrograms.Check(Tree(), new[] { Set("nested", "runscript /run/other") }));
            Assert.Contains("-Boot", e.Message);
        }

        [Fact]
        public void TheImageChecksItsProjectsSetsAndTheSetsItRunsNotEveryPackagesSets()
        {
            var tree = Tree();
            var sets = new[] { Set("lib_tool", "/not-here.so", "lib.pkg"), Set("mine", "/hello") };
            var composed = new ComposedTree(tree, new[] { "lib.pkg", "demo" }, sets, new KeyValuePair<string, string>[0]);
            BootPrograms.CheckImage(composed, "demo", "runscript /run/mine;");
            var e = Assert.Throws<OsvException>(() => BootPrograms.CheckImage(composed, "demo", "--env=A=1 runscript /run/mine;runscript /run/lib_tool;"));
            Assert.Contains("config set 'lib_tool' of lib.pkg", e.Message);
            sets[1] = Set("mine", "/gone");
            Assert.Throws<OsvException>(() => BootPrograms.CheckImage(composed, "demo", ""));
        }
    }
}
