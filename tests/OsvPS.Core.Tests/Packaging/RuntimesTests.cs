using System.Collections.Generic;
using System.Linq;
using System.Text;
using OsvPS.Core.Building;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Rofs;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    /// <summary>
    /// Capstan's java, node and python runtimes: every key, the boot command made from them (read back as OSv's
    /// runscript reads the /run file), and the errors. The cases Capstan's runtime tests check carry over as facts:
    /// classpath joined with ':', '/' when none is given, a .jar started with -jar once, shell, base.
    /// </summary>
    public class RuntimesTests
    {
        private const string Linker = "/lib64/ld-linux-x86-64.so.2";
        private const string Jvm = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";

        private static TreeFile File(string text) => new TreeFile(new BytesSource(Encoding.ASCII.GetBytes(text), text));

        // An image holding the three interpreters where Add-OsvDebianPackage carries them, Linux's linker, and the scripts.
        private static ImageTree Tree(params string[] leaveOut)
        {
            var tree = new ImageTree();
            foreach (string path in new[] { Linker, "/usr/bin/python3.11", "/usr/bin/node", Jvm, "/server.js", "/script.py", "/app/main.py" }.Except(leaveOut))
            {
                tree.Add(path, File(path));
            }
            if (!leaveOut.Contains("/usr/bin/python3"))
            {
                tree.Add("/usr/bin/python3", new TreeSymlink("python3.11", "test"));
            }
            tree.Add("/usr/lib/jvm/java-1.17.0-openjdk-amd64", new TreeSymlink("java-17-openjdk-amd64", "test"));
            return tree;
        }

        private static RunConfig Parse(string yaml) => RunYaml.Parse(yaml, "meta/run.yaml");

        private static IReadOnlyList<ResolvedConfigSet> Resolve(ImageTree tree, params (string Package, string Yaml)[] packages)
            => BootCommands.ResolveAll(packages.Select(p => new KeyValuePair<string, RunConfig?>(p.Package, Parse(p.Yaml))).ToList(),
                (package, set) => RuntimeInterpreters.BootCommand(tree, "/work/my app", package, set));

        // The words OSv's runscript reads from the set's /run file.
        private static string[] Words(string yaml, string set = "default", ImageTree? tree = null)
        {
            var script = Resolve(tree ?? Tree(), ("app", yaml)).Single(s => s.Name == set).RunScript;
            var commands = OsvCommandGrammar.ParseAsKernel(script, out bool complete);
            Assert.True(complete, script);
            return Assert.Single(commands).Words.Select(w => w.Value).ToArray();
        }

        private static string Set(string runtime, string body) => $"runtime: {runtime}\nconfig_set:\n  default:\n" + string.Join("\n", body.Split('\n').Select(l => "    " + l)) + "\n";

        private static OsvException Fails(string yaml) => Assert.Throws<OsvException>(() => Parse(yaml));

        // The error reading the run.yaml, with its id, kind and a part of its message checked.
        private static OsvException Refused(string yaml, ErrorId id, string message)
        {
            var e = Fails(yaml);
            Assert.Equal(id, e.ErrorId);
            Assert.Equal(OsvErrorKind.InvalidData, e.Kind);
            Assert.Contains(message, e.Message);
            return e;
        }

        public static IEnumerable<object[]> JavaCases() => new[]
        {
            new object[] { "main: demo.Main\nclasspath:\n  - /src", new[] { "-cp", "/src", "demo.Main" } },
            new object[] { "main: demo.Main\nclasspath:\n  - /src\n  - /src/package1", new[] { "-cp", "/src:/src/package1", "demo.Main" } },
            new object[] { "main: demo.Main\nxms: 128m\nxmx: 1024m", new[] { "-Xms128m", "-Xmx1024m", "-cp", "/", "demo.Main" } },
            new object[] { "main: demo.Main\njvm_args:\n  - -Darg1=val1\n  - -Darg2=val2", new[] { "-cp", "/", "-Darg1=val1", "-Darg2=val2", "demo.Main" } },
            new object[] { "main: demo.Main\nargs:\n  - localhost\n  - 8000", new[] { "-cp", "/", "demo.Main", "localhost", "8000" } },
            new object[] { "main: app.jar", new[] { "-cp", "/", "-jar", "app.jar" } },
            new object[] { "main: app.jar\njvm_args: [\"-jar\"]", new[] { "-cp", "/", "-jar", "app.jar" } },
            new object[] { "main: app.jar\njvm_args: [\"-jar\", \"-xyz\"]", new[] { "-cp", "/", "-xyz", "-jar", "app.jar" } },
        };

        [Theory]
        [MemberData(nameof(JavaCases))]
        public void JavaStartsTheImagesJvmOnLinuxsLinker(string body, string[] after)
            => Assert.Equal(new[] { Linker, Jvm }.Concat(after), Words(Set("java", body)));

        [Theory]
        [InlineData("main: /server.js", new[] { "/server.js" })]
        [InlineData("main: /server.js\nnode_args:\n  - --version", new[] { "--version", "/server.js" })]
        [InlineData("main: /server.js\nargs:\n  - localhost\n  - 8000", new[] { "/server.js", "localhost", "8000" })]
        [InlineData("shell: true", new[] { "-i" })]
        [InlineData("shell: true\nnode_args: [--no-warnings]", new[] { "--no-warnings", "-i" })]
        public void NodeStartsUsrBinNodeOnLinuxsLinker(string body, string[] after)
            => Assert.Equal(new[] { Linker, "/usr/bin/node" }.Concat(after), Words(Set("node", body)));

        [Theory]
        [InlineData("main: /script.py", new[] { "/script.py" })]
        [InlineData("main: /script.py\npython_args:\n  - --version", new[] { "--version", "/script.py" })]
        [InlineData("main: /script.py\nargs:\n  - localhost\n  - 8000", new[] { "/script.py", "localhost", "8000" })]
        [InlineData("main: app/main.py\nargs: one", new[] { "app/main.py", "one" })]
        [InlineData("shell: true", new[] { "-i" })]
        [InlineData("shell: false\nmain: /script.py", new[] { "/script.py" })]
        public void PythonStartsUsrBinPython3OnOsvsLinker(string body, string[] after)
            => Assert.Equal(new[] { "/usr/bin/python3" }.Concat(after), Words(Set("python", body)));

        [Fact]
        public void ArgumentsReachTheProgramByteForByteAndEnvComesFirst()
        {
            string yaml = Set("python", "main: /script.py\nargs:\n  - \"a b\"\n  - \"x;y&z\"\n  - \"Hey hey!\"\n  - \"q\\\"uote\\\\\"\n  - \"\"\nenv:\n  PORT: \"8000\"\n  GREETING: hi there");
            Assert.Equal(new[] { "--env=GREETING?=hi there", "--env=PORT?=8000", "/usr/bin/python3", "/script.py", "a b", "x;y&z", "Hey hey!", "q\"uote\\", "" }, Words(yaml));
        }

        [Fact]
        public void ShortFormMakesTheDefaultSet()
        {
            var run = Parse("runtime: node\nmain: /server.js\nargs: [x]\n");
            var set = Assert.Single(run.ConfigSets);
            Assert.Equal("default", set.Name);
            Assert.Equal("/server.js", set.Launch!.Main);
            Assert.Equal(new[] { "x" }, set.Launch.Args);
        }

        [Fact]
        public void EveryKeyIsRead()
        {
            var java = Parse(Set("java", "main: demo.Main\nargs: [a, 2]\nclasspath: [/a, /b]\njvm_args: [-Dx=y]\nxms: 64m\nxmx: 256m")).ConfigSets[0].Launch!;
            Assert.Equal(("java", "demo.Main", "64m", "256m", false), (java.Runtime, java.Main, java.Xms, java.Xmx, java.Shell));
            Assert.Equal(new[] { "a", "2" }, java.Args);
            Assert.Equal(new[] { "/a", "/b" }, java.Classpath);
            Assert.Equal(new[] { "-Dx=y" }, java.InterpreterArgs);
            var node = Parse(Set("node", "shell: true\nnode_args: [--a]")).ConfigSets[0].Launch!;
            Assert.True(node.Shell);
            Assert.Null(node.Main);
            Assert.Equal(new[] { "--a" }, node.InterpreterArgs);
            Assert.Equal(new[] { "-O" }, Parse(Set("python", "main: /s.py\npython_args: [-O]")).ConfigSets[0].Launch!.InterpreterArgs);
        }

        [Theory]
        [InlineData("java", "main: demo.Main\nargs: [\"a b\", \"x!\"]\nclasspath: [/a]\njvm_args: [-Dx=y]\nxms: 64m\nxmx: 256m\nenv: {A: b}")]
        [InlineData("node", "shell: true\nnode_args: [--a]")]
        [InlineData("python", "main: /s.py\nargs: [\"\", z]\npython_args: [-O]")]
        public void SerializeReadsBackTheSame(string runtime, string body)
        {
            var run = Parse(Set(runtime, body));
            var again = Parse(RunYaml.Serialize(run));
            Assert.Equal(runtime, again.Runtime);
            var a = run.ConfigSets[0];
            var b = again.ConfigSets[0];
            Assert.Equal((a.Launch!.Main, a.Launch.Xms, a.Launch.Xmx, a.Launch.Shell), (b.Launch!.Main, b.Launch.Xms, b.Launch.Xmx, b.Launch.Shell));
            Assert.Equal(a.Launch.Args, b.Launch.Args);
            Assert.Equal(a.Launch.InterpreterArgs, b.Launch.InterpreterArgs);
            Assert.Equal(a.Launch.Classpath, b.Launch.Classpath);
            Assert.Equal(a.Env, b.Env);
        }

        [Fact]
        public void ARuntimeFileMayHoldNativeSetsAndBases()
        {
            var sets = Resolve(Tree(),
                ("mypackage", "runtime: native\nconfig_set:\n  run:\n    bootcmd: /mypackage.so\n"),
                ("app", "runtime: java\nconfig_set:\n  default:\n    base: mypackage:run\n  tool:\n    bootcmd: /usr/bin/node /server.js\n  inherit:\n    base: app:tool2\n  tool2:\n    main: demo.Main\n"));
            Assert.Equal("/mypackage.so", sets.Single(s => s.Name == "default").BootCommand);
            Assert.Null(sets.Single(s => s.Name == "default").Launch);
            Assert.Equal("/usr/bin/node /server.js", sets.Single(s => s.Name == "tool").BootCommand);
            var inherited = sets.Single(s => s.Name == "inherit");
            Assert.Equal($"{Linker} {Jvm} -cp / demo.Main", inherited.BootCommand);
            Assert.Equal("demo.Main", inherited.Launch!.Main);
        }

        [Theory]
        [InlineData("java", "classpath:\n  - /src", "no 'main'")]
        [InlineData("node", "args: [a]", "no 'main'")]
        [InlineData("python", "env: {A: b}", "no 'main'")]
        public void MainIsRequired(string runtime, string body, string message)
            => Assert.StartsWith("meta/run.yaml:4:", Refused(Set(runtime, body), ErrorIds.BootCommandMissing, message).Message);

        [Theory]
        [InlineData("java", "xms: foo.bar")]
        [InlineData("java", "xmx: foo.bar")]
        [InlineData("java", "classpath: [foo.bar]")]
        [InlineData("java", "jvm_args: [foo.bar]")]
        [InlineData("java", "main: foo.bar")]
        [InlineData("java", "args: [foo.bar]")]
        [InlineData("node", "shell: true")]
        [InlineData("node", "node_args: [foo.bar]")]
        [InlineData("node", "main: foo.bar")]
        [InlineData("node", "args: [foo.bar]")]
        [InlineData("python", "shell: true")]
        [InlineData("python", "python_args: [foo.bar]")]
        [InlineData("python", "main: foo.bar")]
        [InlineData("python", "args: [foo.bar]")]
        public void RuntimeKeysDoNotGoWithBase(string runtime, string key)
            => Refused(Set(runtime, "base: \"foo:bar\"\n" + key), ErrorIds.RuntimeKeysInvalid, "'base'");

        [Theory]
        [InlineData("java")]
        [InlineData("node")]
        [InlineData("python")]
        public void BaseAloneInheritsWithoutMain(string runtime)
        {
            var set = Assert.Single(Parse(Set(runtime, "base: \"some.package:its_config_set\"")).ConfigSets);
            Assert.Equal("some.package:its_config_set", set.Base);
            Assert.Null(set.Launch);
        }

        [Theory]
        [InlineData("node", "shell: true\nmain: /script.js", "'shell: true'")]
        [InlineData("node", "shell: true\nargs: [foo.bar]", "'shell: true'")]
        [InlineData("python", "shell: true\nmain: /script.py", "'shell: true'")]
        [InlineData("python", "shell: true\nargs: [foo.bar]", "'shell: true'")]
        [InlineData("python", "main: /a.py\nbootcmd: /b", "'bootcmd'")]
        [InlineData("python", "main: /a.py\nnode_args: [x]", "not a key of the python runtime")]
        [InlineData("java", "main: A\nshell: true", "not a key of the java runtime")]
        [InlineData("node", "main: /a.js\nxmx: 1g", "not a key of the node runtime")]
        [InlineData("java", "main: [A, B]", "'main' must be a single value")]
        [InlineData("java", "main: A\nxms: {a: b}", "'xms' must be a single value")]
        [InlineData("java", "main: A\nargs: {a: b}", "'args' must be a list")]
        [InlineData("java", "main: A\nclasspath: [[/a]]", "'classpath' must be a list of values")]
        [InlineData("python", "shell: maybe", "'shell' must be true or false")]
        public void WrongKeysAndTypesAreRefused(string runtime, string body, string message)
            => Refused(Set(runtime, body), ErrorIds.RuntimeKeysInvalid, message);

        [Fact]
        public void ValuesOsvCannotCarryAreRefused()
            => Refused(Set("python", "main: /a.py\nargs: [\"grüße\"]"), ErrorIds.BootCommandInvalid, "grüße");

        [Fact]
        public void ARuntimeNoOneHasIsNamedWithTheOnesThereAre()
            => Refused("runtime: ruby\nconfig_set:\n  d: {main: /a.rb}\n", ErrorIds.RuntimeNotSupported, "native, java, node, python");

        [Theory]
        [InlineData("python", "main: /script.py", "/usr/bin/python3", "Add-OsvDebianPackage python3 -Project \"/work/my app\"")]
        [InlineData("node", "main: /server.js", "/usr/bin/node", "Add-OsvDebianPackage nodejs -LinuxLinker -Project \"/work/my app\"")]
        [InlineData("java", "main: Hello", Jvm, "Add-OsvDebianPackage openjdk-17-jre-headless -LinuxLinker -Project \"/work/my app\"")]
        public void AMissingInterpreterNamesTheCommandThatCarriesIt(string runtime, string body, string interpreter, string command)
        {
            var e = Assert.Throws<OsvException>(() => Words(Set(runtime, body), tree: Tree(interpreter)));
            Assert.Equal(ErrorIds.RuntimeInterpreterMissing, e.ErrorId);
            Assert.Equal(OsvErrorKind.ObjectNotFound, e.Kind);
            Assert.Contains("config set 'default' of app", e.Message);
            Assert.EndsWith(command, e.Message);
        }

        [Theory]
        [InlineData("node", "main: /server.js")]
        [InlineData("java", "main: Hello")]
        public void JavaAndNodeNeedLinuxsLinkerInTheImage(string runtime, string body)
        {
            var e = Assert.Throws<OsvException>(() => Words(Set(runtime, body), tree: Tree(Linker)));
            Assert.Equal(ErrorIds.RuntimeInterpreterMissing, e.ErrorId);
            Assert.Contains("Linux's dynamic linker", e.Message);
            Assert.Contains("-LinuxLinker", e.Message);
        }

        [Fact]
        public void PythonNeedsNoLinuxLinker()
            => Assert.Equal(new[] { "/usr/bin/python3", "/script.py" }, Words(Set("python", "main: /script.py"), tree: Tree(Linker)));

        [Fact]
        public void TwoJvmsAreAmbiguous()
        {
            var tree = Tree();
            tree.Add("/usr/lib/jvm/java-11-openjdk-amd64/bin/java", File("11"));
            var e = Assert.Throws<OsvException>(() => Words(Set("java", "main: Hello"), tree: tree));
            Assert.Equal(ErrorIds.RuntimeInterpreterAmbiguous, e.ErrorId);
            Assert.Contains("java-11-openjdk-amd64/bin/java, " + Jvm, e.Message);
        }

        [Fact]
        public void TheBuildChecksTheScriptAndNotAJavaClass()
        {
            var tree = Tree("/server.js");
            var sets = Resolve(tree, ("app", "runtime: node\nconfig_set:\n  web: {main: /server.js}\n  shell: {shell: true}\n"));
            var e = Assert.Throws<OsvException>(() => BootPrograms.Check(tree, sets));
            Assert.Equal(ErrorIds.BootProgramNotFound, e.ErrorId);
            Assert.Contains("node script '/server.js'", e.Message);
            BootPrograms.Check(tree, sets.Where(s => s.Name == "shell"));
            BootPrograms.Check(tree, Resolve(tree, ("app", Set("java", "main: not.in.the.Tree"))));
            BootPrograms.Check(tree, Resolve(tree, ("app", Set("python", "main: app/main.py"))));
        }
    }
}
