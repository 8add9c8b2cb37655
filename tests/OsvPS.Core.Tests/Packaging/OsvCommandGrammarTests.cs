using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Packaging;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    /// <summary>
    /// The kernel's reading is what OSv v0.57 printed for each line in a real OSv build (booted with -append, a
    /// program printing its arguments); tests/Pester/Seed.RealOsv.Tests.ps1 checks the boot-command side there.
    /// </summary>
    public class OsvCommandGrammarTests
    {
        /// <summary>Each command as its argument values joined by '|', then its terminator in brackets.</summary>
        private static string Show(IEnumerable<OsvCommand> commands)
            => string.Join(" ", commands.Select(c => string.Join("|", c.Words.Select(w => w.Value)) + "[" + c.Terminator + "]"));

        private static string Kernel(string text) => Show(OsvCommandGrammar.ParseAsKernel(text, out _));

        private static string Boot(string text) => Show(OsvCommandGrammar.ParseBootCommand(text));

        [Theory]
        [InlineData("/echo.so Hey hey!", "/echo.so|Hey|hey[!]")]
        [InlineData("/echo.so a!b", "/echo.so|a[!] b[]")]
        [InlineData("/echo.so !x", "/echo.so[!] x[]")]
        [InlineData("/echo.so hey\\!", "/echo.so|hey\\[!]")]
        [InlineData("/echo.so one;/echo.so two", "/echo.so|one[;] /echo.so|two[]")]
        [InlineData("/later.so 1500 first &/echo.so second", "/later.so|1500|first[&] /echo.so|second[]")]
        [InlineData("/a x &! /b", "/a|x[&!] /b[]")]
        [InlineData("/echo.so a=1&b=2", "/echo.so|a=1[&] b=2[]")]
        [InlineData("/show.so \"ab\"cd", "/show.so|ab|cd[]")]
        [InlineData("/show.so a\"b c\"", "/show.so|a\"b|c\"[]")]
        [InlineData("/show.so \"\" e", "/show.so||e[]")]
        [InlineData("/show.so a\tb", "/show.so|a\tb[]")]
        [InlineData("/show.so a\t b", "/show.so|a\t|b[]")]
        [InlineData("/show.so \"x\\!y\" \"a\\\\b\" plain\\\\b \"q\\\"q\"", "/show.so|x\\!y|a\\b|plain\\b|q\"q[]")]
        [InlineData("/show.so \"unclosed x", "/show.so|\"unclosed|x[]")]
        public void ReadsCommandsAsOsvDoes(string line, string expected) => Assert.Equal(expected, Kernel(line));

        [Theory]
        [InlineData("/echo.so a;; /echo.so b", "/echo.so|a[;]", false)]
        [InlineData("/echo.so hey! ; /echo.so two", "/echo.so|hey[!]", false)]
        [InlineData("; /echo.so a", "", false)]
        [InlineData("& /echo.so a", "", false)]
        [InlineData("   ;  ", "", true)]
        [InlineData("/echo.so a;", "/echo.so|a[;]", true)]
        [InlineData("runscript /run/a;runscript /run/b;", "runscript|/run/a[;] runscript|/run/b[;]", true)]
        public void StopsWhereOsvStops(string line, string expected, bool complete)
        {
            Assert.Equal(expected, Show(OsvCommandGrammar.ParseAsKernel(line, out bool whole)));
            Assert.Equal(complete, whole);
        }

        [Theory]
        [InlineData("/echo.so Hey hey!", "/echo.so|Hey|hey![]")]
        [InlineData("/echo.so a!b !x !", "/echo.so|a!b|!x[!]")]
        [InlineData("/usr/bin/java -cp / Hello !", "/usr/bin/java|-cp|/|Hello[!]")]
        [InlineData("/a x &! /b", "/a|x[&!] /b[]")]
        [InlineData("/a x&!", "/a|x[&!]")]
        [InlineData("/echo.so hey! ; /echo.so two", "/echo.so|hey![;] /echo.so|two[]")]
        [InlineData("/echo.so a;; /echo.so b", "/echo.so|a[;] /echo.so|b[]")]
        [InlineData("; & /echo.so a", "/echo.so|a[]")]
        [InlineData("/a ! ; /b", "/a[!] /b[]")]
        [InlineData("/echo.so \"hey!\" hey\\!", "/echo.so|hey!|hey\\![]")]
        [InlineData("/echo.so a=1&b=2", "/echo.so|a=1[&] b=2[]")]
        public void ReadsABootCommandWithBangAsData(string line, string expected) => Assert.Equal(expected, Boot(line));

        [Theory]
        [InlineData("/echo.so Hey hey!", "/echo.so Hey \"hey!\"")]
        [InlineData("/echo.so wow!! a!b", "/echo.so \"wow!!\" \"a!b\"")]
        [InlineData("/echo.so q\\\"x! a\\! t\tb!", "/echo.so \"q\\\"x!\" \"a\\\\!\" \"t\\tb!\"")]
        [InlineData("--env=A=hi! /echo.so $A", "\"--env=A=hi!\" /echo.so $A")]
        [InlineData("/echo.so a;; /echo.so b", "/echo.so a; /echo.so b")]
        [InlineData("; /echo.so a", " /echo.so a")]
        public void WritesWhatOsvMustReadForABootCommand(string bootCommand, string forKernel)
            => Assert.Equal(forKernel, OsvCommandGrammar.ForKernel(bootCommand));

        [Theory]
        [InlineData("/ls -l")]
        [InlineData("/a; /b &")]
        [InlineData("/usr/bin/java -cp / Hello !")]
        [InlineData("/p \"two words\" x &! /q")]
        [InlineData("runscript /run/a;runscript /run/b;")]
        [InlineData("  /p   spaced  ")]
        public void LeavesABootCommandWithoutDataBangsAsWritten(string bootCommand)
            => Assert.Equal(bootCommand, OsvCommandGrammar.ForKernel(bootCommand));

        [Theory]
        [InlineData("/echo.so Hey hey!")]
        [InlineData("/p a!b; /q !x &! /r hey!&")]
        [InlineData("/p \"quoted!\" plain! \"ab\"cd! a\"b!")]
        [InlineData("/p q\\\"x! a\\! back\\\\! t\tb! \\n!")]
        [InlineData("--env=A=hi! --env=B?=x /p $A ! /q")]
        [InlineData("/p;; /q ; ; /r & & /s")]
        [InlineData("/p \"unclosed! x")]
        public void TheKernelReadsWhatTheBootCommandMeans(string bootCommand)
        {
            var meant = OsvCommandGrammar.ParseBootCommand(bootCommand);
            var read = OsvCommandGrammar.ParseAsKernel(OsvCommandGrammar.ForKernel(bootCommand), out bool complete);
            Assert.True(complete);
            Assert.Equal(Show(meant), Show(read));
        }

        [Fact]
        public void QuotesEveryValueBackExactly()
        {
            string value = "a \"b\" \\c\t!;&'\a\b\f\v";
            var words = OsvCommandGrammar.ParseAsKernel("/p " + OsvCommandGrammar.Quote(value), out _).Single().Words;
            Assert.Equal(value, words[1].Value);
            Assert.True(words[1].Quoted);
        }

        // A path taken from a file (a program's PT_INTERP, a guest path) goes into a boot command as one word.
        [Theory]
        [InlineData("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")]
        [InlineData("/opt/my app/ld;x.so", "\"/opt/my app/ld;x.so\"")]
        [InlineData("/a&b!c", "\"/a&b!c\"")]
        [InlineData("/q\"uote\\d", "\"/q\\\"uote\\\\d\"")]
        public void APathIsOneWordOfABootCommand(string path, string word)
        {
            Assert.Equal(word, OsvCommandGrammar.Word(path));
            var command = Assert.Single(OsvCommandGrammar.ParseBootCommand(OsvCommandGrammar.Word(path) + " /prog arg"));
            Assert.Equal(new[] { path, "/prog", "arg" }, command.Words.Select(w => w.Value));
        }
    }
}
