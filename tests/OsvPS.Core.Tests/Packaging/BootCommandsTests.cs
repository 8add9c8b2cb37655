using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    public class BootCommandsTests
    {
        private static Dictionary<string, string> Env(params string[] pairs)
        {
            var d = new Dictionary<string, string>();
            for (int i = 0; i < pairs.Length; i += 2)
            {
                d[pairs[i]] = pairs[i + 1];
            }
            return d;
        }

        private static readonly string[] Available = { "default", "say_hey", "other" };

        [Fact]
        public void RunScriptPrependsSoftEnvInOrdinalOrderWithoutNewline()
        {
            string script = BootCommands.RunScript("/echo.so Hey hey!", Env("b", "2", "B", "1", "a", "0"));
            Assert.Equal("--env=B?=1 --env=a?=0 --env=b?=2 /echo.so Hey \"hey!\"", script);
        }

        [Fact]
        public void RunScriptWithoutEnvIsTheCommand() => Assert.Equal("/ls -l", BootCommands.RunScript("/ls -l", Env()));

        [Fact]
        public void ExplicitCommandLineWins()
            => Assert.Equal("/x; /y &", BootCommands.ComposeCommandLine("/x; /y &", new[] { "say_hey" }, null, new[] { "default" }, Available));

        [Fact]
        public void BootNamesBecomeRunscripts()
            => Assert.Equal("runscript /run/say_hey;runscript /run/other;",
                BootCommands.ComposeCommandLine(null, new[] { "say_hey", "other" }, null, new[] { "default" }, Available));

        [Fact]
        public void BootNamesMayBeCommaSeparated()
            => Assert.Equal("runscript /run/say_hey;runscript /run/default;",
                BootCommands.ComposeCommandLine(null, new[] { "say_hey, default" }, null, null, Available));

        [Fact]
        public void ConfigSetDefaultIsUsedWithoutBoot()
            => Assert.Equal("runscript /run/other;runscript /run/say_hey;",
                BootCommands.ComposeCommandLine(null, null, null, new[] { "other,say_hey" }, Available));

        [Fact]
        public void FallbackIsRunDefault()
            => Assert.Equal("runscript /run/default;", BootCommands.ComposeCommandLine(null, new string[0], null, new string[0], Available));

        [Fact]
        public void WithoutADefaultSetTheImageCommandLineIsEmptyAsCapstanWritesIt()
        {
            Assert.Equal("", BootCommands.ComposeCommandLine(null, null, null, null, new[] { "say_hey", "other" }));
            Assert.Equal("", BootCommands.ComposeCommandLine("", new string[0], null, new string[0], new[] { "say_hey" }));
        }

        [Fact]
        public void EnvWithNoSetToRunIsRefused()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine(null, null, Env("A", "1"), null, new[] { "say_hey", "other" }));
            Assert.Equal(ErrorIds.ConfigSetRequired, e.ErrorId);
            Assert.Contains("-Boot (other, say_hey)", e.Message);
        }

        [Theory]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData(" ; ;")]
        [InlineData("--env=A=1 ")]
        [InlineData("--env=A=a\\ b\t--verbose ;")]
        public void AnImageThatRunsNothingNeedsAConfigSet(string commandLine)
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.RequireConfigSet(commandLine, () => new[] { "say_hey", "other" }, "demo"));
            Assert.Equal(ErrorIds.ConfigSetRequired, e.ErrorId);
            Assert.Equal(OsvErrorKind.InvalidArgument, e.Kind);
            Assert.Contains("image 'demo'", e.Message);
            Assert.Contains("-Boot: other, say_hey.", e.Message);
        }

        [Fact]
        public void AnImageWithNoCommandAndNoSetsNeedsACommandLine()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.RequireConfigSet("", () => new string[0], "bare"));
            Assert.Equal(ErrorIds.ConfigSetRequired, e.ErrorId);
            Assert.Contains("-CommandLine", e.Message);
        }

        [Theory]
        [InlineData("runscript /run/default;")]
        [InlineData("--env=A=1 runscript /run/x;")]
        [InlineData("/hello")]
        [InlineData("--verbose /hello")]
        public void AnImageThatRunsSomethingNeedsNothingMore(string commandLine)
            => BootCommands.RequireConfigSet(commandLine, () => throw new System.InvalidOperationException("sets listed"), "demo");

        [Fact]
        public void HardEnvIsPrependedAndKeepsTheFallback()
        {
            // Capstan leaves only the env here, a command line that runs nothing.
            Assert.Equal("--env=A=1 --env=Z=2 runscript /run/default;",
                BootCommands.ComposeCommandLine(null, null, Env("Z", "2", "A", "1"), null, Available));
            Assert.Equal("--env=PORT=80 /srv -v",
                BootCommands.ComposeCommandLine("/srv -v", null, Env("PORT", "80"), null, Available));
        }

        [Fact]
        public void UnknownBootNameListsTheAvailableOnes()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine(null, new[] { "nope" }, null, null, Available));
            Assert.Equal(ErrorIds.ConfigSetNotFound, e.ErrorId);
            Assert.Equal("nope", e.Target);
            Assert.Contains("default, other, say_hey", e.Message);
        }

        [Fact]
        public void UnknownDefaultIsRefusedToo()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine(null, null, null, new[] { "gone" }, Available));
            Assert.Equal(ErrorIds.ConfigSetNotFound, e.ErrorId);
            Assert.Contains("config_set_default", e.Message);
        }

        [Theory]
        [InlineData("gr\u00fc\u00dfe", "non-ASCII")]
        [InlineData("a\nb", "line break")]
        [InlineData("a\0b", "NUL")]
        [InlineData("a\u0007b", "control character")]
        public void HardEnvThatCannotReachTheProgramIsRefused(string value, string reason)
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine(null, null, Env("A", value), null, null));
            Assert.Equal(ErrorIds.EnvInvalid, e.ErrorId);
            Assert.Contains(reason, e.Message);
        }

        [Fact]
        public void NonAsciiCommandLineIsRefused()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine("/echo \u00e9", null, null, null, null));
            Assert.Equal(ErrorIds.CommandLineInvalid, e.ErrorId);
        }

        [Theory]
        [InlineData("plain-1.2/x:y,z+w=v@h%", "--env=K?=plain-1.2/x:y,z+w=v@h%")]
        [InlineData("hello world", "\"--env=K?=hello world\"")]
        [InlineData("a;b", "\"--env=K?=a;b\"")]
        [InlineData("x&y!z", "\"--env=K?=x&y!z\"")]
        [InlineData("say \"hi\"", "\"--env=K?=say \\\"hi\\\"\"")]
        [InlineData("c:\\dir\\n", "\"--env=K?=c:\\\\dir\\\\n\"")]
        [InlineData("", "--env=K?=")]
        public void SoftEnvIsPlainOrQuotedForTheCommandGrammar(string value, string token)
            => Assert.Equal(token, OsvCommandLine.SoftEnvToken("K", value));

        [Theory]
        [InlineData("b u;i\\ld", "--env=K=b\\ u;i\\\\ld")]
        [InlineData("r u;n \"q\"", "--env=K=r\\ u;n\\ \"q\"")]
        [InlineData("tab\there", "--env=K=tab\\\there")]
        public void HardEnvEscapesForTheLoaderOptions(string value, string token)
            => Assert.Equal(token, OsvCommandLine.HardEnvToken("K", value));

        [Fact]
        public void RunScriptQuotesEachValueThatNeedsIt()
            => Assert.Equal("--env=A?=1 \"--env=B?=a;b\" /p x", BootCommands.RunScript("/p x", new Dictionary<string, string> { ["B"] = "a;b", ["A"] = "1" }));

        [Fact]
        public void CommandLineLengthLimitIsExact()
        {
            string fits = new string('x', BootCommands.MaxCommandLineBytes);
            Assert.Equal(fits, BootCommands.ComposeCommandLine(fits, null, null, null, null));
            var e = Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine(fits + "y", null, null, null, null));
            Assert.Equal(ErrorIds.CommandLineTooLong, e.ErrorId);
            // Multi-byte characters count in bytes.
            Assert.Throws<OsvException>(() => BootCommands.ComposeCommandLine(new string('é', 16128), null, null, null, null));
        }

        private static KeyValuePair<string, RunConfig?> Pkg(string name, params ConfigSet[] sets)
            => new KeyValuePair<string, RunConfig?>(name, sets.Length == 0 ? null : new RunConfig("native", sets));

        [Fact]
        public void BaseInheritsBootCommandAndMergesEnv()
        {
            var all = BootCommands.ResolveAll(new[]
            {
                Pkg("osv.bootstrap"),
                Pkg("httpserver", new ConfigSet("default", "/httpserver.so", Env("PORT", "80", "LOG", "info"))),
                Pkg("app", new ConfigSet("web", null, Env("PORT", "8080", "APP", "1"), "httpserver:default")),
            });
            var web = all.Single(s => s.Name == "web");
            Assert.Equal("/httpserver.so", web.BootCommand);
            Assert.Equal("--env=APP?=1 --env=LOG?=info --env=PORT?=8080 /httpserver.so", web.RunScript);
            Assert.Equal("app", web.Package);
        }

        [Fact]
        public void BaseChainsAreFollowed()
        {
            var all = BootCommands.ResolveAll(new[]
            {
                Pkg("a", new ConfigSet("x", "/a", Env("K", "a"))),
                Pkg("b", new ConfigSet("y", null, Env("L", "b"), "a:x")),
                Pkg("c", new ConfigSet("z", null, Env("K", "c"), "b:y")),
            });
            Assert.Equal("--env=K?=c --env=L?=b /a", all.Single(s => s.Name == "z").RunScript);
        }

        [Fact]
        public void LaterPackageWinsForTheSameSetName()
        {
            var all = BootCommands.ResolveAll(new[]
            {
                Pkg("lib", new ConfigSet("default", "/lib-default"), new ConfigSet("tool", "/tool")),
                Pkg("app", new ConfigSet("default", "/app")),
            });
            Assert.Equal(new[] { "default", "tool" }, all.Select(s => s.Name));
            Assert.Equal("/app", all[0].BootCommand);
            Assert.Equal("/tool", all[1].BootCommand);
        }

        [Fact]
        public void BaseNamingAMissingPackageIsAnError()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ResolveAll(new[] { Pkg("app", new ConfigSet("x", null, null, "ghost:default")) }));
            Assert.Equal(ErrorIds.BasePackageNotFound, e.ErrorId);
            Assert.Contains("require", e.Message);
        }

        [Fact]
        public void BaseNamingAMissingSetListsTheSetsThereAre()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ResolveAll(new[]
            {
                Pkg("lib", new ConfigSet("one", "/1"), new ConfigSet("two", "/2")),
                Pkg("app", new ConfigSet("x", null, null, "lib:three")),
            }));
            Assert.Equal(ErrorIds.BaseConfigSetNotFound, e.ErrorId);
            Assert.Contains("one, two", e.Message);
        }

        [Fact]
        public void BaseOfAPackageWithoutRunYaml()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ResolveAll(new[] { Pkg("lib"), Pkg("app", new ConfigSet("x", null, null, "lib:default")) }));
            Assert.Equal(ErrorIds.BaseConfigSetNotFound, e.ErrorId);
            Assert.Contains("no run.yaml", e.Message);
        }

        [Fact]
        public void BaseCycleIsNamed()
        {
            var e = Assert.Throws<OsvException>(() => BootCommands.ResolveAll(new[]
            {
                Pkg("a", new ConfigSet("x", null, null, "b:y")),
                Pkg("b", new ConfigSet("y", null, null, "a:x")),
            }));
            Assert.Equal(ErrorIds.ConfigSetBaseCycle, e.ErrorId);
            Assert.Contains("a:x -> b:y -> a:x", e.Message);
        }
    }
}
