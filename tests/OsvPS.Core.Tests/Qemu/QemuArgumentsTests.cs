using System.Collections.Generic;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Qemu;
using Xunit;
using OsvPS.Core.IO;

namespace OsvPS.Core.Tests.Qemu
{
    public class QemuArgumentsTests
    {
        private static InstanceSettings Settings() => new InstanceSettings
        {
            Name = "demo",
            DiskPath = "/r/instances/qemu/demo/disk.qcow2",
            ConsolePath = "/r/instances/qemu/demo/console.log",
            MonitorPath = "/r/instances/qemu/demo/osv.monitor",
            PidPath = "/r/instances/qemu/demo/qemu.pid",
        };

        private static string After(IReadOnlyList<string> args, string option, int nth = 0)
            => args.Select((a, i) => (a, i)).Where(p => p.a == option).Select(p => args[p.i + 1]).ElementAt(nth);

        [Fact]
        public void DefaultsFollowTheContract()
        {
            var a = QemuArguments.Build(Settings());
            Assert.Equal("1024M", After(a, "-m"));
            Assert.Equal("2", After(a, "-smp"));
            Assert.Equal("none", After(a, "-display"));
            Assert.Equal("virtio-blk-pci,id=blk0,bootindex=0,drive=hd0", After(a, "-device"));
            Assert.Equal("file=/r/instances/qemu/demo/disk.qcow2,format=qcow2,if=none,id=hd0,aio=threads,cache=unsafe", After(a, "-drive"));
            Assert.Contains("virtio-rng-pci", a);
            Assert.Equal("user,id=un0,net=192.168.122.0/24,host=192.168.122.1", After(a, "-netdev"));
            Assert.Contains("virtio-net-pci,netdev=un0", a);
            Assert.Equal("file,id=console0,path=/r/instances/qemu/demo/console.log", After(a, "-chardev", 0));
            Assert.Contains("isa-serial,chardev=console0", a);
            Assert.Equal("socket,id=monitor0,path=/r/instances/qemu/demo/osv.monitor,server=on,wait=off", After(a, "-chardev", 1));
            Assert.Equal("chardev=monitor0,mode=control", After(a, "-mon"));
            Assert.Equal("tcg", After(a, "-accel"));
            Assert.DoesNotContain("-kernel", a);
            Assert.DoesNotContain("-vnc", a);
        }

        [Fact]
        public void ForwardsKvmCacheAndKernel()
        {
            var s = Settings();
            s.Machine.Forwards = new[] { PortForward.Parse("8080:80"), PortForward.Parse("udp:5353:53"), PortForward.Parse("0.0.0.0:8443:443") };
            s.Accelerator = Accelerator.Kvm;
            s.Cache = "none";
            s.AioType = "native";
            s.KernelPath = "/r/repository/osv-loader/osv-loader.elf";
            s.KernelCommandLine = "--env=A=1 runscript /run/default;";
            s.Machine.MemoryMiB = 512;
            s.Machine.Cpus = 4;
            var a = QemuArguments.Build(s);
            Assert.Equal("user,id=un0,net=192.168.122.0/24,host=192.168.122.1,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53,hostfwd=tcp:0.0.0.0:8443-:443", After(a, "-netdev"));
            Assert.Equal("kvm", After(a, "-accel"));
            Assert.Equal("host", After(a, "-cpu"));
            Assert.EndsWith("aio=native,cache=none", After(a, "-drive"));
            Assert.Equal(s.KernelPath, After(a, "-kernel"));
            Assert.Equal(s.KernelCommandLine, After(a, "-append"));
            Assert.Equal("virtio-blk-pci,id=blk0,drive=hd0", After(a, "-device")); // the kernel's option ROM boots first
            Assert.Equal("512M", After(a, "-m"));
            Assert.Equal("4", After(a, "-smp"));
        }

        // The kernel's command line carries -Env values: with a config file it is not among QEMU's arguments.
        [Fact]
        public void AKernelConfigFileKeepsTheCommandLineOutOfTheArguments()
        {
            var s = Settings();
            s.KernelPath = "/r/repository/osv-loader/osv-loader.elf";
            s.KernelCommandLine = "--env=TOKEN=s3cr3t\\ value runscript /run/default;";
            s.KernelConfigPath = "/r/instances/qemu/x/kernel.cfg";
            var a = QemuArguments.Build(s);
            Assert.Equal(s.KernelConfigPath, After(a, "-readconfig"));
            Assert.DoesNotContain("-append", a);
            Assert.DoesNotContain("-kernel", a);
            Assert.DoesNotContain(a, x => x.Contains("s3cr3t"));
            Assert.Equal("# Written by OsvPS: the kernel and its command line, kept out of QEMU's arguments.\n[machine]\n" +
                "  kernel = \"/r/repository/osv-loader/osv-loader.elf\"\n  append = \"--env=TOKEN=s3cr3t\\ value runscript /run/default;\"\n",
                QemuArguments.KernelConfig(s.KernelPath, s.KernelCommandLine));
        }

        [Theory]
        [InlineData("/run \"quoted\"")]
        [InlineData("two\nlines")]
        public void AKernelConfigCannotHoldAQuoteOrALineBreak(string line) => Assert.Null(QemuArguments.KernelConfig("/k.elf", line));

        [Fact]
        public void AKernelConfigHoldsAtMost1009BytesAValueSoEachLineFitsQemusReader()
        {
            string config = QemuArguments.KernelConfig("/k.elf", new string('a', 1009))!;
            Assert.NotNull(config);
            Assert.All(config.Split('\n'), line => Assert.True(line.Length + 1 <= 1023, $"a line of {line.Length + 1} bytes"));
            Assert.Null(QemuArguments.KernelConfig("/k.elf", new string('a', 1010)));
            Assert.Null(QemuArguments.KernelConfig("/k.elf", new string('\u00e9', 505))); // 1010 bytes in UTF-8
        }

        [Fact]
        public void OtherNetworksAndVolumes()
        {
            var s = Settings();
            s.Machine.Network = NetworkMode.None;
            s.Machine.Volumes = new[] { VolumeSpec.Parse("/data/a.img:format=raw"), VolumeSpec.Parse("/data/b,c.qcow2") };
            var a = QemuArguments.Build(s);
            Assert.Equal("none", After(a, "-nic"));
            Assert.DoesNotContain("-netdev", a);
            Assert.Equal("file=/data/a.img,format=raw,if=none,id=vol1,aio=threads,cache=unsafe", After(a, "-drive", 1));
            Assert.Equal("file=/data/b,,c.qcow2,if=none,id=vol2,aio=threads,cache=unsafe", After(a, "-drive", 2)); // commas doubled
            s.Machine.Network = NetworkMode.Tap;
            s.Machine.TapDevice = "tap0";
            Assert.Equal("tap,id=un0,ifname=tap0,script=no,downscript=no", After(QemuArguments.Build(s), "-netdev"));
            s.Machine.Network = NetworkMode.Bridge;
            s.Machine.Bridge = "br0";
            Assert.Equal("bridge,id=un0,br=br0", After(QemuArguments.Build(s), "-netdev"));
        }

        [Fact]
        public void SameSettingsSameArguments() => Assert.Equal(QemuArguments.Build(Settings()), QemuArguments.Build(Settings()));

        [Theory]
        [InlineData("80", null)]
        [InlineData("0:80", null)]
        [InlineData("70000:80", null)]
        [InlineData("sctp:1:2", null)]
        [InlineData("a:b", null)]
        [InlineData("host.example:80:80", null)]
        [InlineData("1:80:80", null)]
        [InlineData("[::1:80:80", null)]
        [InlineData("::1:80:80", null)]
        [InlineData("127.0.0.1,hostfwd=tcp::1-:2:80:80", null)]
        [InlineData("8080:80", "tcp:127.0.0.1:8080:80")]
        [InlineData("UDP:53:53", "udp:127.0.0.1:53:53")]
        [InlineData("0.0.0.0:8080:80", "tcp:0.0.0.0:8080:80")]
        [InlineData("tcp:192.168.1.5:8080:80", "tcp:192.168.1.5:8080:80")]
        [InlineData("[::1]:8080:80", "tcp:[::1]:8080:80")]
        [InlineData("udp:[::]:53:53", "udp:[::]:53:53")]
        public void PortForwardParsing(string text, string? expected)
        {
            if (expected == null)
            {
                Assert.Equal("ForwardInvalid", Assert.Throws<OsvException>(() => PortForward.Parse(text)).ErrorId);
            }
            else
            {
                Assert.Equal(expected, PortForward.Parse(text).ToString());
            }
        }

        [Fact]
        public void ArgumentsReachTheProgramAsTheyAre()
        {
            var args = new[] { "plain", "with space", "quote\"inside", "back\\slash\\", "", "a,b", "--env=A=1 runscript /run/x;" };
            var result = ProcessRunner.Run("/bin/sh", new[] { "-c", "for a in \"$@\"; do printf '[%s]' \"$a\"; done", "sh" }.Concat(args), System.Threading.CancellationToken.None);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(string.Concat(args.Select(a => "[" + a + "]")), result.Output.TrimEnd('\n'));
        }
    }
}
