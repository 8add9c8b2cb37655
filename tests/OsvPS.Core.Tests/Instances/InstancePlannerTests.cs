using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Qemu;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>The planner every engine shares, as plain .NET: an image built by the core, nothing started.</summary>
    public sealed class InstancePlannerTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly CapstanRepository repo;
        private readonly OsvImage image;

        public InstancePlannerTests()
        {
            repo = new CapstanRepository(dir.Combine("capstan"));
            dir.File("capstan/repository/osv-loader/osv-loader.qemu", TestFiles.Loader());
            dir.File("demo/meta/run.yaml", "runtime: native\nconfig_set:\n  default:\n    bootcmd: /hello\n  other:\n    bootcmd: /hello other\nconfig_set_default: default\n");
            dir.File("demo/meta/package.yaml", "name: demo\ntitle: demo\nauthor: test\n");
            dir.File("demo/hello", "HELLO");
            var builder = new ImageBuilder(repo);
            image = builder.Build(builder.Plan(new ImageBuildRequest { Project = ProjectStore.Load(dir.Combine("demo")), Format = DiskFormat.Qcow2, Compose = new ComposeOptions { NoBootstrap = true } }), false, null, CancellationToken.None);
        }

        public void Dispose() => dir.Dispose();

        private StartRequest Request() => new StartRequest { ImagePath = image.Path, ImageName = "team/demo" };

        [Fact]
        public void KeepsTheImagesCommandLineAndAddsTheRunsLoaderOptions()
        {
            var plan = InstancePlanner.Plan(Request());
            Assert.Equal("team-demo", plan.Name);
            Assert.Equal("runscript /run/default;", plan.CommandLine);
            Assert.Equal("--power-off-on-abort --verbose runscript /run/default;", plan.GuestCommandLine);
            Assert.True(plan.RewriteDisk);
            Assert.Null(plan.Kernel);
            Assert.Equal("Disk", plan.BootModeName);
            Assert.Equal(new[] { "default", "other" }, plan.ConfigSets);
        }

        [Fact]
        public void BootEnvAndCommandLineMakeTheRunsOwnLine()
        {
            var request = Request();
            request.Boot = new[] { "other" };
            request.Env = new Dictionary<string, string> { ["B"] = "2 3", ["A"] = "1" };
            Assert.Equal("--env=A=1 --env=B=2\\ 3 runscript /run/other;", InstancePlanner.Plan(request).CommandLine);
            request = Request();
            request.Env = new Dictionary<string, string> { ["A"] = "1" };
            Assert.Equal("--env=A=1 runscript /run/default;", InstancePlanner.Plan(request).CommandLine);
            request = Request();
            request.Boot = new[] { "nope" };
            Assert.Equal(ErrorIds.ConfigSetNotFound, Assert.Throws<OsvException>(() => InstancePlanner.Plan(request)).ErrorId);
        }

        [Fact]
        public void AUserVerboseIsNotAddedTwiceAndItsDebugLinesAreNotHidden()
        {
            var request = Request();
            request.CommandLine = "--verbose /hello";
            var plan = InstancePlanner.Plan(request);
            Assert.Equal("--power-off-on-abort --verbose /hello", plan.GuestCommandLine);
            Assert.False(GuestCommandLines.HidesDebugLines(plan.GuestCommandLine, plan.CommandLine));
            Assert.True(GuestCommandLines.HidesDebugLines(InstancePlanner.Plan(Request()).GuestCommandLine, "runscript /run/default;"));
        }

        [Fact]
        public void AKernelBesideTheLoaderIsFoundAndItsRecordedHashChecked()
        {
            var request = Request();
            request.BootMode = BootMode.Kernel;
            Assert.Equal(ErrorIds.KernelNotFound, Assert.Throws<OsvException>(() => InstancePlanner.Plan(request)).ErrorId);
            string kernel = dir.File("capstan/repository/osv-loader/osv-loader.elf", "KERNEL");
            var plan = InstancePlanner.Plan(request);
            Assert.Equal(kernel, plan.Kernel);
            Assert.False(plan.RewriteDisk);
            Assert.Equal("Kernel", plan.BootModeName);
            request.BootMode = BootMode.Disk;
            Assert.Null(InstancePlanner.Plan(request).Kernel);
        }

        [Theory]
        [InlineData("../x")]
        [InlineData("a b")]
        [InlineData("gr\u00fc\u00df")]
        public void NamesAreCheckedFirst(string name)
        {
            var request = Request();
            request.Name = name;
            Assert.Equal(ErrorIds.InstanceNameInvalid, Assert.Throws<OsvException>(() => InstancePlanner.Plan(request)).ErrorId);
        }

        [Fact]
        public void MachineSettingsAndMissingImagesAreRefused()
        {
            var request = Request();
            request.Machine.Network = NetworkMode.None;
            request.Machine.Forwards = new[] { PortForward.Parse("8080:80") };
            Assert.Equal(ErrorIds.InstanceSettingInvalid, Assert.Throws<OsvException>(() => InstancePlanner.Plan(request)).ErrorId);
            request = Request();
            request.ImagePath = dir.Combine("missing.qemu");
            Assert.Equal(ErrorIds.ImageNotFound, Assert.Throws<OsvException>(() => InstancePlanner.Plan(request)).ErrorId);
        }

        [Fact]
        public void TheQemuEngineRefusesIPv6ForwardsAndALinkedInstanceFolder()
        {
            using var engine = new QemuEngine(repo);
            var request = Request();
            request.Machine.Forwards = new[] { PortForward.Parse("[::1]:8080:80") };
            Assert.Equal(ErrorIds.ForwardInvalid, Assert.Throws<OsvException>(() => engine.Plan(request, CancellationToken.None)).ErrorId);

            string outside = dir.Combine("outside");
            Directory.CreateDirectory(outside);
            Directory.CreateDirectory(repo.InstancesPath);
            File.CreateSymbolicLink(Path.Combine(repo.InstancesPath, "n31"), outside);
            request = Request();
            request.Name = "n31";
            request.EngineOptions.Set("QemuPath", "/bin/true");
            request.Accelerator = Accelerator.Tcg;
            var plan = engine.Plan(request, CancellationToken.None);
            var e = Assert.Throws<OsvException>(() => engine.Start(plan, CancellationToken.None));
            Assert.Equal(ErrorIds.InstanceFolderInvalid, e.ErrorId);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }

        [Fact]
        public void ADamagedStateFileIsThatInstancesErrorAndTheOthersAreListed()
        {
            using var engine = new QemuEngine(repo);
            dir.File("capstan/instances/qemu/good/instance.state", "image=demo\nstarted=2026-01-01T00:00:00.0000000Z\nexit_code=0\n");
            dir.File("capstan/instances/qemu/bad/instance.state", "image=demo\nqemu_command=%%% not base64\n");
            var invalid = new List<OsvException>();
            var listed = engine.List(CancellationToken.None, invalid.Add);
            Assert.Equal(new[] { "good" }, System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(listed, i => i.Name)));
            Assert.Single(invalid);
            Assert.Equal(ErrorIds.InstanceStateInvalid, invalid[0].ErrorId);
            Assert.Equal("bad", invalid[0].Target);
        }

        [Fact]
        public void ADamagedInstanceIsRemovedWithForceAsItsErrorSays()
        {
            using var engine = new QemuEngine(repo);
            string state = dir.File("capstan/instances/qemu/bad/instance.state", "image=demo\nqemu_command=%%% not base64\n");
            var e = Assert.Throws<OsvException>(() => engine.Remove("bad", force: false, CancellationToken.None));
            Assert.Equal(ErrorIds.InstanceStateInvalid, e.ErrorId);
            Assert.Contains("Remove-OsvInstance bad -Force", e.Message);
            Assert.True(File.Exists(state));
            engine.Remove("bad", force: true, CancellationToken.None);
            Assert.False(Directory.Exists(Path.GetDirectoryName(state)));
        }
    }
}
