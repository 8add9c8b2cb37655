using System.IO;
using System.Linq;
using OsvPS.Core.Debian;
using OsvPS.Core.Packaging;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Debian
{
    public class LinuxLinkerBootCommandsTests
    {
        private const string Linker = "/lib64/ld-linux-x86-64.so.2";

        // A project whose config sets start programs carried for Linux's linker in several ways: through a link, by a name
        // OSv looks up in '/', after runscript options, beside a program that is not one of them, and already on the linker.
        private static TempDir Project()
        {
            var dir = new TempDir();
            dir.File("usr/bin/app-1", "ELF");
            File.CreateSymbolicLink(dir.Combine("usr/bin/app"), "app-1");
            dir.File("app2", "ELF");
            dir.File("other", "ELF");
            dir.File("meta/run.yaml", string.Join("\n",
                "runtime: native",
                "config_set:",
                "  default:",
                "    bootcmd: '/usr/bin/app --port 80 \"two words\"; /other &'",
                "    env: { GREETING: hi }",
                "  named:",
                "    bootcmd: --env=A=1 app2 y",
                $"  done:",
                $"    bootcmd: {Linker} /usr/bin/app",
                "  untouched:",
                "    bootcmd: /other",
                "  inherited:",
                "    base: pkg:set",
                "config_set_default: default",
                ""));
            return dir;
        }

        private static readonly (string, string)[] Programs =
        {
            ("/usr/bin/app-1", Linker + " /usr/bin/app-1"),
            ("/app2", Linker + " --library-path /usr/local/lib /app2"),
        };

        [Fact]
        public void PutsTheLinkerInFrontOfEachProgramItStartsAndLeavesTheRestAsWritten()
        {
            using var dir = Project();
            var plan = LinuxLinkerBootCommands.Plan(dir.Path, Programs)!;
            Assert.Equal(new[] { "default", "named" }, plan.Changes.Select(c => c.ConfigSet));
            Assert.Equal("/usr/bin/app --port 80 \"two words\"; /other &", plan.Changes[0].Before);
            plan.Apply();

            var project = ProjectStore.Load(dir.Path);
            var sets = project.ConfigSets.ToDictionary(s => s.Name);
            Assert.Equal($"{Linker} /usr/bin/app --port 80 \"two words\"; /other &", sets["default"].BootCommand);
            Assert.Equal("hi", sets["default"].Env["GREETING"]);
            Assert.Equal($"--env=A=1 {Linker} --library-path /usr/local/lib app2 y", sets["named"].BootCommand);
            Assert.Equal($"{Linker} /usr/bin/app", sets["done"].BootCommand);
            Assert.Equal("/other", sets["untouched"].BootCommand);
            Assert.Equal("pkg:set", sets["inherited"].Base);
            Assert.Equal(new[] { "default" }, project.Run!.DefaultConfigSets);

            // Done once: the commands are on the linker now, and nothing changes again.
            Assert.Null(LinuxLinkerBootCommands.Plan(dir.Path, Programs));
        }

        [Fact]
        public void NothingToDoWithoutRunYamlOrWithoutAProgramItStarts()
        {
            using var dir = Project();
            Assert.Null(LinuxLinkerBootCommands.Plan(dir.Path, new[] { ("/usr/bin/elsewhere", Linker + " /usr/bin/elsewhere") }));
            // A program OSv's linker starts (its boot command is its path alone) is not moved.
            Assert.Null(LinuxLinkerBootCommands.Plan(dir.Path, new[] { ("/other", "/other") }));
            File.Delete(dir.Combine("meta/run.yaml"));
            Assert.Null(LinuxLinkerBootCommands.Plan(dir.Path, Programs));
        }
    }
}
