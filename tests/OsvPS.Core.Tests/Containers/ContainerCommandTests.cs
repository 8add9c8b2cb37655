using System.IO;
using System.Linq;
using OsvPS.Core.Containers;
using OsvPS.Core.Debian;
using OsvPS.Core.Errors;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>What an image runs, found as Docker finds it, inside the image's root only.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public class ContainerCommandTests
    {
        private static readonly string[] None = new string[0];

        private static string Program(TempDir dir, string relative, string content = "\u007fELF")
        {
            string path = dir.File(relative, content);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return path;
        }

        [Fact]
        public void EntrypointThenCmdOnlyCmdWithoutEntrypoint()
        {
            Assert.Equal(new[] { "/app", "-p", "80" }, ContainerCommand.Arguments(new[] { "/app" }, new[] { "-p", "80" }));
            Assert.Equal(new[] { "/app", "-p" }, ContainerCommand.Arguments(None, new[] { "/app", "-p" }));
            Assert.Empty(ContainerCommand.Arguments(None, None));
        }

        [Fact]
        public void LooksUpArgv0InTheImagesPathInOrderSkippingWhatIsNotExecutable()
        {
            using var dir = new TempDir();
            Program(dir, "usr/local/bin/app");
            Program(dir, "usr/bin/app");
            dir.File("usr/local/sbin/app", "not executable");
            var root = new Sysroot(dir.Path);
            var found = ContainerCommand.Resolve(root, new[] { "app", "x" }, None, null, "img");
            Assert.Equal("/usr/local/bin/app", found.Path);
            Assert.Equal(dir.Combine("usr/local/bin/app"), found.HostPath);
            Assert.Equal(new[] { "app", "x" }, found.Arguments);
            Assert.Equal("/usr/bin/app", ContainerCommand.Resolve(root, new[] { "app" }, new[] { "A=1", "PATH=/nowhere:/usr/bin" }, null, "img").Path);
            var missing = Assert.Throws<OsvException>(() => ContainerCommand.Resolve(root, new[] { "nothere" }, new[] { "PATH=/bin:relative" }, null, "img"));
            Assert.Equal(ErrorIds.ContainerProgramNotFound, missing.ErrorId);
            Assert.Contains("/bin/nothere", missing.Message);
        }

        [Fact]
        public void FollowsALinkedArgv0InsideTheRootAndNeverOutOfIt()
        {
            using var dir = new TempDir();
            Program(dir, "opt/real/app");
            Directory.CreateDirectory(dir.Combine("usr/bin"));
            File.CreateSymbolicLink(dir.Combine("usr/bin/app"), "/opt/real/app");
            // Climbs past the root: inside it, that is /bin/sh of the image, which it does not have (the host's is never taken).
            File.CreateSymbolicLink(dir.Combine("usr/bin/escape"), "../../../../../../../bin/sh");
            var root = new Sysroot(dir.Path);
            var found = ContainerCommand.Resolve(root, new[] { "app" }, None, null, "img");
            Assert.Equal("/usr/bin/app", found.Path);
            Assert.Equal("/opt/real/app", found.GuestPath);
            Assert.Equal(dir.Combine("opt/real/app"), found.HostPath);
            Assert.Throws<OsvException>(() => ContainerCommand.Resolve(root, new[] { "/usr/bin/escape" }, None, null, "img"));
        }

        [Fact]
        public void TakesARelativeArgv0FromTheWorkingDir()
        {
            using var dir = new TempDir();
            Program(dir, "srv/bin/run");
            var found = ContainerCommand.Resolve(new Sysroot(dir.Path), new[] { "bin/run" }, None, "/srv", "img");
            Assert.Equal("/srv/bin/run", found.Path);
            Assert.Equal("/", ContainerCommand.WorkingFolder(""));
            Assert.Equal("/data", ContainerCommand.WorkingFolder("data/"));
        }

        [Fact]
        public void RunsAShellFormCommandOfPlainWordsWithoutTheShellAndKeepsTheShellOtherwise()
        {
            Assert.True(ContainerCommand.IsShellForm(new[] { "/bin/sh", "-c", "x" }));
            Assert.False(ContainerCommand.IsShellForm(new[] { "/bin/sh", "script.sh", "x" }));
            Assert.Equal(new[] { "redis-server", "--port", "6379" }, ContainerCommand.SimpleWords("exec redis-server --port 6379"));
            Assert.Null(ContainerCommand.SimpleWords("a && b"));
            Assert.Null(ContainerCommand.SimpleWords("serve $PORT"));
            Assert.Null(ContainerCommand.SimpleWords("echo 'x y'"));
            Assert.Null(ContainerCommand.SimpleWords("A=1 serve"));

            using var dir = new TempDir();
            Program(dir, "bin/sh");
            Program(dir, "usr/bin/serve");
            var root = new Sysroot(dir.Path);
            var plain = ContainerCommand.Resolve(root, new[] { "/bin/sh", "-c", "serve --port 80" }, None, null, "img");
            Assert.True(plain.Unwrapped);
            Assert.False(plain.ShellForm);
            Assert.Equal("/usr/bin/serve", plain.Path);
            Assert.Equal(new[] { "serve", "--port", "80" }, plain.Arguments);
            var shell = ContainerCommand.Resolve(root, new[] { "/bin/sh", "-c", "serve > /tmp/log" }, None, null, "img");
            Assert.True(shell.ShellForm);
            Assert.Equal("/bin/sh", shell.Path);
        }

        [Fact]
        public void StartsAScriptThroughTheInterpreterItsFirstLineNamesAsExecDoes()
        {
            using var dir = new TempDir();
            Program(dir, "usr/local/bin/python3.12");
            File.CreateSymbolicLink(dir.Combine("usr/local/bin/python3"), "python3.12");
            Program(dir, "app/serve.py", "#!/usr/local/bin/python3 -u\nprint(1)\n");
            Program(dir, "bin/sh");
            Program(dir, "usr/local/bin/entry.sh", "#!/bin/sh\nexec serve\n");
            var root = new Sysroot(dir.Path);
            var script = ContainerCommand.Resolve(root, new[] { "./serve.py", "--port", "80" }, None, "/app", "img");
            Assert.Equal("/usr/local/bin/python3", script.Path);
            Assert.Equal("/usr/local/bin/python3.12", script.GuestPath);
            Assert.Equal("/app/serve.py", script.Script);
            Assert.Equal(new[] { "/usr/local/bin/python3", "-u", "/app/serve.py", "--port", "80" }, script.Arguments);
            Assert.False(script.IsShell);
            var shell = ContainerCommand.Resolve(root, new[] { "entry.sh" }, None, null, "img");
            Assert.Equal(new[] { "/bin/sh", "/usr/local/bin/entry.sh" }, shell.Arguments);
            Assert.True(shell.IsShell);
            // An interpreter the image does not have is named.
            Program(dir, "usr/bin/tool", "#!/usr/bin/perl\n");
            Assert.Contains("'/usr/bin/perl'", Assert.Throws<OsvException>(() => ContainerCommand.Resolve(root, new[] { "tool" }, None, null, "img")).Message);
        }

        [Fact]
        public void AnImageThatSaysNothingToRunIsAnError()
        {
            using var dir = new TempDir();
            var e = Assert.Throws<OsvException>(() => ContainerCommand.Resolve(new Sysroot(dir.Path), None, None, null, "img"));
            Assert.Equal(ErrorIds.ContainerCommandMissing, e.ErrorId);
        }
    }
}
