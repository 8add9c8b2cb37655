using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    public class RunYamlTests
    {
        private static OsvException Fails(string yaml) => Assert.Throws<OsvException>(() => RunYaml.Parse(yaml, "meta/run.yaml"));

        [Fact]
        public void ParsesConfigSetsEnvBaseAndDefaults()
        {
            var run = RunYaml.Parse(@"
runtime: native
config_set:
  default:
    bootcmd: ""/ls -l""
    env: { PORT: ""8000"", A: 1 }
  say_hey:
    bootcmd: /echo.so Hey hey!
  inherited:
    base: ""other.pkg:default""
config_set_default: default, say_hey
", "run.yaml");
            Assert.Equal("native", run.Runtime);
            Assert.Equal(new[] { "default", "say_hey", "inherited" }, run.ConfigSets.Select(c => c.Name));
            Assert.Equal("/ls -l", run.ConfigSets[0].BootCommand);
            Assert.Equal(new[] { "A", "PORT" }, run.ConfigSets[0].Env.Keys);
            Assert.Equal("8000", run.ConfigSets[0].Env["PORT"]);
            Assert.Equal("/echo.so Hey hey!", run.Find("say_hey")!.BootCommand);
            Assert.Null(run.Find("inherited")!.BootCommand);
            Assert.Equal("other.pkg:default", run.Find("inherited")!.Base);
            Assert.Equal(new[] { "default", "say_hey" }, run.DefaultConfigSets);
        }

        [Fact]
        public void CapstanShortFormIsTheDefaultSet()
        {
            var run = RunYaml.Parse("runtime: native\nbootcmd: /hello.so\nenv:\n  X: y\n", "run.yaml");
            var set = Assert.Single(run.ConfigSets);
            Assert.Equal("default", set.Name);
            Assert.Equal("/hello.so", set.BootCommand);
            Assert.Equal("y", set.Env["X"]);
        }

        [Fact]
        public void DefaultsMayBeAList()
        {
            var run = RunYaml.Parse("runtime: native\nconfig_set:\n  a: {bootcmd: /a}\n  b: {bootcmd: /b}\nconfig_set_default: [b, a]\n", "run.yaml");
            Assert.Equal(new[] { "b", "a" }, run.DefaultConfigSets);
        }

        [Fact]
        public void MalformedYamlNamesFileLineAndColumn()
        {
            var e = Fails("runtime: native\nconfig_set:\n  default:\n    bootcmd: [unclosed\n");
            Assert.Equal(ErrorIds.RunYamlInvalid, e.ErrorId);
            Assert.Equal(OsvErrorKind.ParserError, e.Kind);
            Assert.Matches(@"^meta/run\.yaml:\d+:\d+: ", e.Message);
        }

        [Fact]
        public void TopLevelMustBeAMapping()
        {
            var e = Fails("- runtime\n- native\n");
            Assert.Equal(ErrorIds.RunYamlInvalid, e.ErrorId);
            Assert.StartsWith("meta/run.yaml:1:1:", e.Message);
        }

        [Theory]
        [InlineData("runtime: cobol\nconfig_set:\n  d: {bootcmd: /x}\n", "not a runtime OsvPS knows")]
        [InlineData("config_set:\n  d: {bootcmd: /x}\n", "has no 'runtime'")]
        public void UnknownRuntimeIsRefused(string yaml, string message)
        {
            var e = Fails(yaml);
            Assert.Equal(ErrorIds.RuntimeNotSupported, e.ErrorId);
            Assert.Contains(message, e.Message);
        }

        [Theory]
        [InlineData("runtime: native\nconfig_set:\n")]
        [InlineData("runtime: native\nconfig_set: {}\n")]
        public void NoConfigSetIsRefused(string yaml) => Assert.Equal(ErrorIds.ConfigSetMissing, Fails(yaml).ErrorId);

        [Fact]
        public void NativeSetNeedsBootCommandOrBase()
        {
            var e = Fails("runtime: native\nconfig_set:\n  broken:\n    env: {A: b}\n");
            Assert.Equal(ErrorIds.BootCommandMissing, e.ErrorId);
            Assert.Contains("'broken'", e.Message);
        }

        [Fact]
        public void BaseNeedsAColon()
        {
            var e = Fails("runtime: native\nconfig_set:\n  x:\n    base: otherpkg\n");
            Assert.Equal(ErrorIds.ConfigSetBaseInvalid, e.ErrorId);
            Assert.Contains("colon", e.Message);
        }

        [Theory]
        [InlineData("runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: {\"MY KEY\": v}\n", "MY KEY", "letters, digits")]
        [InlineData("runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: {1ST: v}\n", "1ST", "not starting with a digit")]
        [InlineData("runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: {KEY: \"gr\u00fc\u00dfe\"}\n", "KEY", "non-ASCII")]
        [InlineData("runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: {KEY: \"a\\nb\"}\n", "KEY", "line break")]
        [InlineData("runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: {KEY: \"a$HOME\"}\n", "KEY", "'$'")]
        public void EnvThatCannotReachTheProgramIsRefused(string yaml, string key, string reason)
        {
            var e = Fails(yaml);
            Assert.Equal(ErrorIds.EnvInvalid, e.ErrorId);
            Assert.Contains(key, e.Message);
            Assert.Contains("config set 'x'", e.Message);
            Assert.Contains(reason, e.Message);
            Assert.StartsWith("meta/run.yaml:", e.Message);
        }

        [Fact]
        public void EnvWithSpacesAndSeparatorsIsData()
        {
            var run = RunYaml.Parse("runtime: native\nconfig_set:\n  x:\n    bootcmd: /x\n    env: {A: \"hello world\", B: \"a;b\", C: 'c:\\dir\\n'}\n", "run.yaml");
            Assert.Equal("hello world", run.ConfigSets[0].Env["A"]);
            Assert.Equal("a;b", run.ConfigSets[0].Env["B"]);
            Assert.Equal("c:\\dir\\n", run.ConfigSets[0].Env["C"]);
        }

        [Fact]
        public void NonAsciiBootCommandIsRefusedWithItsSet()
        {
            var e = Fails("runtime: native\nconfig_set:\n  greet:\n    bootcmd: /echo gr\u00fc\u00dfe\n");
            Assert.Equal(ErrorIds.BootCommandInvalid, e.ErrorId);
            Assert.Contains("config set 'greet'", e.Message);
            Assert.Contains("U+00FC", e.Message);
        }

        [Theory]
        [InlineData("a b")]
        [InlineData("a/b")]
        [InlineData("a;b")]
        public void SetNamesThatCannotBeFilesAreRefused(string name)
        {
            var e = Fails($"runtime: native\nconfig_set:\n  \"{name}\": {{bootcmd: /x}}\n");
            Assert.Equal(ErrorIds.ConfigSetNameInvalid, e.ErrorId);
        }

        [Fact]
        public void SerializeRoundTripsAwkwardText()
        {
            var env = new Dictionary<string, string> { ["Z"] = "1", ["A"] = "q\"uote", ["path"] = "C:\\x" };
            var original = new RunConfig("native", new[]
            {
                new ConfigSet("default", "/bin/sh -c \"echo $HOME\" ; /x & !", env),
                new ConfigSet("true", null, null, "pkg:set"),
                new ConfigSet("tab", "/a\tb", null),
            }, new[] { "default", "tab" });
            var back = RunYaml.Parse(RunYaml.Serialize(original), "x");
            Assert.Equal(original.ConfigSets.Select(c => c.Name), back.ConfigSets.Select(c => c.Name));
            Assert.Equal(original.ConfigSets.Select(c => c.BootCommand), back.ConfigSets.Select(c => c.BootCommand));
            Assert.Equal(original.ConfigSets.Select(c => c.Base), back.ConfigSets.Select(c => c.Base));
            Assert.Equal(env.OrderBy(p => p.Key, System.StringComparer.Ordinal), back.ConfigSets[0].Env);
            Assert.Equal(original.DefaultConfigSets, back.DefaultConfigSets);
        }

        [Fact]
        public void TemplateIsCommentedAndHasNoConfigSet()
        {
            string text = RunYaml.Template("demo", "main");
            Assert.Contains("runtime: native", text);
            Assert.Contains("#   main:", text);
            // A project whose boot command is still to be written: native, no config set yet (a build says what to fill in).
            var run = RunYaml.Parse(text, "t");
            Assert.Equal("native", run.Runtime);
            Assert.Empty(run.ConfigSets);
            Assert.Empty(RunYaml.Parse("runtime: native\n", "t").ConfigSets);
        }
    }
}
