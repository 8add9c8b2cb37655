using System;
using System.IO;
using System.Threading;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Qemu
{
    /// <summary>The choice between KVM and TCG; these tests set process environment, so they run alone.</summary>
    [Collection("environment")]
    public sealed class AcceleratorProbeTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly CapstanRepository repo;
        private readonly string qemu = "/usr/bin/qemu-system-x86_64";

        public AcceleratorProbeTests() => repo = new CapstanRepository(dir.Combine("capstan"));

        public void Dispose()
        {
            Environment.SetEnvironmentVariable("CAPSTAN_DISABLE_KVM", null);
            dir.Dispose();
        }

        [Fact]
        public void AnExplicitChoiceIsKept()
        {
            Assert.Equal(Accelerator.Tcg, AcceleratorProbe.Choose(Accelerator.Tcg, qemu, repo, CancellationToken.None).Accelerator);
            var kvm = AcceleratorProbe.Choose(Accelerator.Kvm, qemu, repo, CancellationToken.None);
            Assert.Equal(Accelerator.Kvm, kvm.Accelerator);
            Assert.False(kvm.Warn);
        }

        [Theory]
        [InlineData("1")]
        [InlineData("true")]
        public void CapstanDisableKvmForcesTcgWithoutAWarning(string value)
        {
            Environment.SetEnvironmentVariable("CAPSTAN_DISABLE_KVM", value);
            var choice = AcceleratorProbe.Choose(Accelerator.Auto, qemu, repo, CancellationToken.None);
            Assert.Equal(Accelerator.Tcg, choice.Accelerator);
            Assert.Contains("CAPSTAN_DISABLE_KVM", choice.Reason);
            Assert.False(choice.Warn);
        }

        [Fact]
        public void DisableKvmInConfigYamlForcesTcg()
        {
            Directory.CreateDirectory(repo.Root);
            File.WriteAllText(Path.Combine(repo.Root, "config.yaml"), "repo_url: https://example.invalid\ndisable_kvm: true\nqemu_aio_type: native\n");
            var choice = AcceleratorProbe.Choose(Accelerator.Auto, qemu, repo, CancellationToken.None);
            Assert.Equal(Accelerator.Tcg, choice.Accelerator);
            Assert.Contains("config.yaml", choice.Reason);
            Assert.Equal("native", RepositoryConfig.Load(repo).QemuAioType);
        }

        [Fact]
        public void AutoAnswersFromARealProbeAndRemembersIt()
        {
            if (!File.Exists(qemu)) throw new InvalidOperationException("QEMU is required (.ci/run installs qemu-system-x86)");
            var first = AcceleratorProbe.Choose(Accelerator.Auto, qemu, repo, CancellationToken.None);
            if (!File.Exists("/dev/kvm"))
            {
                Assert.Equal(Accelerator.Tcg, first.Accelerator);
                return;
            }
            // The verdict is kept per host boot: the file names this boot and holds the answer given.
            // It lives in the repository the call was given (it follows CAPSTAN_ROOT), never in HOME.
            string cache = Path.Combine(repo.Root, "cache", "kvm-probe");
            var lines = File.ReadAllLines(cache);
            Assert.StartsWith(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() + "|" + qemu, lines[0]);
            Assert.Equal(first.Accelerator == Accelerator.Kvm, lines[1] == "kvm");
            // The second call answers from the file, not from a new probe: a verdict written there is the one given.
            File.WriteAllText(cache, lines[0] + "\nremembered, not probed again\n");
            var second = AcceleratorProbe.Choose(Accelerator.Auto, qemu, repo, CancellationToken.None);
            Assert.Equal(Accelerator.Tcg, second.Accelerator);
            Assert.Contains("remembered, not probed again", second.Reason);
        }

        [Fact]
        public void BadAioTypeIsAConfigError()
        {
            Directory.CreateDirectory(repo.Root);
            File.WriteAllText(Path.Combine(repo.Root, "config.yaml"), "qemu_aio_type: io_uring\n");
            var e = Assert.Throws<OsvPS.Core.Errors.OsvException>(() => RepositoryConfig.Load(repo));
            Assert.Equal("ConfigInvalid", e.ErrorId);
        }
    }

    [CollectionDefinition("environment", DisableParallelization = true)]
    public sealed class EnvironmentCollection
    {
    }
}
