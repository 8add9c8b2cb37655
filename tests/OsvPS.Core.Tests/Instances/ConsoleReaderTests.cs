using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Instances;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>Get-OsvInstanceLog's reader: the last lines of a console of any size, holding only those.</summary>
    public sealed class ConsoleReaderTests
    {
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void TheLastLinesOfALargeConsoleComeOutWholeWithAnUnfinishedLastLine(bool hideDebugLines)
        {
            using var dir = new TempDir();
            string path = dir.Combine("console.log");
            using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
            {
                for (int i = 0; i < 300_000; i++)
                {
                    writer.Write("line ");
                    writer.Write(i);
                    writer.Write('\n');
                }
                writer.Write("progress 50%\rprogress 100%");
            }
            Assert.True(new FileInfo(path).Length > 3_000_000);
            var last = ConsoleReader.Read(path, hideDebugLines, 3);
            Assert.Equal(new[] { "line 299998", "line 299999", "progress 50%\rprogress 100%" }, last);
            Assert.Equal(300_001, ConsoleReader.Read(path, hideDebugLines, null).Count);
            Assert.Empty(ConsoleReader.Read(dir.Combine("absent.log"), hideDebugLines, 3));
        }

        [Fact]
        public void ALineWithoutAnEndLongerThanTheReadSizeIsOneLineCut()
        {
            using var dir = new TempDir();
            string path = dir.File("console.log", "first\n" + new string('x', 3 << 20));
            var lines = ConsoleReader.Read(path, false, 5);
            Assert.Equal(2, lines.Count);
            Assert.Equal("first", lines[0]);
            Assert.Equal(ConsoleFollower.MaxLineChars, lines[1].Length);
        }

        // OSv echoes each line of a /run file once, before running it: that echo is OsvPS's doing (-Boot), not the
        // user's, and is kept out; the same words printed by the program later are shown as written.
        [Fact]
        public void OsvsRunscriptEchoIsHiddenOnceAndAProgramsCopyIsShown()
        {
            using var dir = new TempDir();
            string path = dir.File("console.log", "OSv v0.57.0-398-g0e34e4dc\nCmdline: runscript /run/say_hey;\n" +
                "runscript expand fn='/run/say_hey' line=0 '/echo.so Hey \"hey!\"'\nHey hey!\n" +
                "runscript expand fn='/run/say_hey' line=0 'forged by the program'\n");
            var files = OsvPS.Core.Instances.GuestCommandLines.RunscriptFiles("--power-off-on-abort runscript /run/say_hey;");
            Assert.Equal(new[] { "/run/say_hey" }, files);
            Assert.Equal(new[] { "OSv v0.57.0-398-g0e34e4dc", "Cmdline: runscript /run/say_hey;", "Hey hey!", "runscript expand fn='/run/say_hey' line=0 'forged by the program'" },
                ConsoleReader.Read(path, false, null, files));
            Assert.Equal(5, ConsoleReader.Read(path, false, null).Count);
        }

        [Theory]
        [InlineData("runscript /run/a;runscript /run/b;", new[] { "/run/a", "/run/b" })]
        [InlineData("--env=A=1 --verbose runscript /run/default;", new[] { "/run/default" })]
        [InlineData("/echo.so runscript /run/x", new string[0])]
        [InlineData("/prog; runscript /run/later", new[] { "/run/later" })]
        public void TheRunFilesOfACommandLine(string line, string[] files)
            => Assert.Equal(files, OsvPS.Core.Instances.GuestCommandLines.RunscriptFiles(line));
    }
}
