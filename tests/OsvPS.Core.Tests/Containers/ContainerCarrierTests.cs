using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Containers;
using OsvPS.Core.Debian;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>An unpacked root carried into a project: what goes, what is left out and why, and the config set.</summary>
    public class ContainerCarrierTests
    {
        private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

        private static ContainerImage Image(string configJson)
        {
            var source = ContainerSource.Parse("oci:/images/app:1");
            var config = ContainerConfig.Parse(Encoding.UTF8.GetBytes(configJson), why => new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.InvalidData, why, null));
            return new ContainerImage(source, Digest, "1", config, new ContainerLayer[0], null!);
        }

        // A root whose program is this machine's 'true' (it needs only libc, which OSv supplies).
        private static void Root(TempDir root)
        {
            Directory.CreateDirectory(root.Combine("usr/bin"));
            File.Copy(new FileInfo("/usr/bin/true").ResolveLinkTarget(true)?.FullName ?? "/usr/bin/true", root.Combine("usr/bin/app"));
            File.CreateSymbolicLink(root.Combine("usr/bin/app2"), "/usr/bin/app");
            root.File("etc/app.conf", "port 80");
            root.File("usr/share/doc/app/README", "read me");
            root.File("usr/share/doc/app/NEWS", "news");
            root.File("var/log/build.log", "log");
            root.File("var/lib/apt/lists/deb", "list");
            root.File("tmp/scratch", "x");
            root.File("run/lock", "");
            Directory.CreateDirectory(root.Combine("srv/data"));
        }

        [Theory]
        [InlineData("/usr/share/doc/app/README", DebianContent.None, "/usr/share/doc")]
        [InlineData("/usr/share/doc/app/README", DebianContent.Documentation, null)]
        [InlineData("/usr/share/man/man1/app.1", DebianContent.Documentation, "/usr/share/man")]
        [InlineData("/usr/share/locale/de/x.mo", DebianContent.None, "/usr/share/locale")]
        [InlineData("/var/lib/apt/lists/x", DebianContent.None, "/var/lib/apt/lists")]
        [InlineData("/var/lib/apt/extended_states", DebianContent.None, null)]
        [InlineData("/var/log", DebianContent.None, "/var/log")]
        [InlineData("/tmp", DebianContent.None, "/tmp")]
        [InlineData("/run/nginx.pid", DebianContent.None, "/run")]
        [InlineData("/runner/app", DebianContent.None, null)]
        [InlineData("/usr/share/docs/x", DebianContent.None, null)]
        public void LeavesOutWhatAUnikernelNeverReads(string guest, DebianContent include, string? rule)
            => Assert.Equal(rule, ContainerCarrier.LeftOut(guest, include)?.Path);

        [Fact]
        public void CarriesTheTreeWithTheConfigSetOfItsCommandAndSaysWhatItLeftOut()
        {
            using var root = new TempDir();
            using var project = new TempDir();
            Root(root);
            ProjectStore.Create(new ProjectSpec { Path = project.Path });
            var image = Image(@"{""os"":""linux"",""architecture"":""amd64"",""config"":{""Entrypoint"":[""app2""],""Cmd"":[""--flag"",""a b;c""],
                ""Env"":[""PATH=/usr/bin"",""LANG=C.UTF-8"",""HOME=$x"",""junk""],""WorkingDir"":""/srv"",""User"":""nobody"",
                ""Volumes"":{""/srv/data"":{}},""ExposedPorts"":{""8080/tcp"":{}},""Healthcheck"":{""Test"":[""CMD"",""true""]}}}");
            var plan = ContainerCarrier.Plan(image, root.Path, project.Path, new ContainerCarryOptions());
            Assert.False(File.Exists(project.Combine("usr/bin/app")));
            var result = ContainerCarrier.Apply(plan);

            Assert.Equal("/usr/bin/app2 --flag \"a b;c\"", result.BootCommand);
            Assert.Equal(OsvRunWay.OsvLinker, result.Way);
            Assert.Equal(new[] { "8080/tcp" }, result.ExposedPorts);
            Assert.Equal(new[]
            {
                "/run: run-time state of the image's build; the image's /run holds OsvPS's config set files, 2 entries",
                "/tmp: OSv mounts a ramfs over /tmp at boot, 2 entries",
                "/usr/share/doc: documentation (-Include Documentation), 4 entries",
                "/var/lib/apt/lists: apt's package lists: a unikernel never runs apt, 2 entries",
                "/var/log: the logs of the image's build, 2 entries",
            }, result.LeftOut);
            Assert.Equal(2, result.Files);
            Assert.Equal("port 80", File.ReadAllText(project.Combine("etc/app.conf")));
            // The absolute target made relative: it leads to the same file in the guest, never into the host.
            Assert.Equal("app", new FileInfo(project.Combine("usr/bin/app2")).LinkTarget);
            Assert.True(Directory.Exists(project.Combine("srv/data")));
            Assert.False(Directory.Exists(project.Combine("usr/share/doc")));
            Assert.False(Directory.Exists(project.Combine("tmp")));

            var set = ProjectStore.Load(project.Path).Run!.Find("default")!;
            Assert.Equal(result.BootCommand, set.BootCommand);
            Assert.Equal(new[] { "LANG", "PATH" }, set.Env.Keys.OrderBy(k => k, System.StringComparer.Ordinal));
            Assert.Equal(new[] { "default" }, ProjectStore.Load(project.Path).Run!.DefaultConfigSets);
            string warnings = string.Join("\n", result.Warnings);
            Assert.Contains("user 'nobody'", warnings);
            Assert.Contains("volumes (/srv/data)", warnings);
            Assert.Contains("health check (CMD true)", warnings);
            Assert.Contains("--cwd=/srv runscript /run/default", warnings);
            Assert.Contains("'HOME'", warnings);
            Assert.Contains("'junk' is not NAME=value", warnings);
        }

        [Fact]
        public void ASecondCarryChangesNothingAndAnotherCommandUnderTheSameSetNeedsForce()
        {
            using var root = new TempDir();
            using var project = new TempDir();
            Root(root);
            ProjectStore.Create(new ProjectSpec { Path = project.Path });
            var image = Image(@"{""config"":{""Cmd"":[""/usr/bin/app""]}}");
            ContainerCarrier.Apply(ContainerCarrier.Plan(image, root.Path, project.Path, new ContainerCarryOptions()));
            var again = ContainerCarrier.Plan(image, root.Path, project.Path, new ContainerCarryOptions());
            Assert.Equal(0, again.Changes);
            Assert.Equal(FileAction.Unchanged, again.ConfigSet.Action);

            var other = Image(@"{""config"":{""Cmd"":[""/usr/bin/app"",""-x""]}}");
            var e = Assert.Throws<OsvException>(() => ContainerCarrier.Plan(other, root.Path, project.Path, new ContainerCarryOptions()));
            Assert.Equal(ErrorIds.ConfigSetExists, e.ErrorId);
            var forced = ContainerCarrier.Plan(other, root.Path, project.Path, new ContainerCarryOptions { Force = true });
            Assert.Equal(FileAction.Replaced, forced.ConfigSet.Action);
            var second = ContainerCarrier.Plan(other, root.Path, project.Path, new ContainerCarryOptions { ConfigSet = "x" });
            Assert.Equal(FileAction.Added, second.ConfigSet.Action);
            Assert.False(second.ConfigSet.MadeDefault);
        }
    }
}
