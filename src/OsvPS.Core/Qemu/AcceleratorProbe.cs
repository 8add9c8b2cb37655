using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using OsvPS.Core.IO;
using OsvPS.Core.Repository;

namespace OsvPS.Core.Qemu
{
    /// <summary>The accelerator chosen for a run, and why.</summary>
    internal sealed class AcceleratorChoice
    {
        public AcceleratorChoice(Accelerator accelerator, string reason, bool warn)
        {
            Accelerator = accelerator;
            Reason = reason;
            Warn = warn;
        }

        public Accelerator Accelerator { get; }
        public string Reason { get; }
        /// <summary>True when the user should hear about it (TCG chosen although KVM was possible to ask for).</summary>
        public bool Warn { get; }
    }

    /// <summary>
    /// Decides between KVM and TCG. A /dev/kvm node can exist and still fail, so KVM is chosen only
    /// after a tiny guest really ran under it; the answer is kept for the host's current boot.
    /// </summary>
    internal static class AcceleratorProbe
    {
        // tests/fixtures/kvm-probe.S assembled: prints OSVPS-KVM-OK on COM1, then powers off.
        private static readonly byte[] ProbeCode =
        {
            0x31, 0xc0, 0x8e, 0xd8, 0xbe, 0x1c, 0x7c, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, 0xba, 0x04,
            0x06, 0xb8, 0x00, 0x20, 0xef, 0xf4, 0xeb, 0xfd, 0x4f, 0x53, 0x56, 0x50, 0x53, 0x2d, 0x4b, 0x56, 0x4d, 0x2d, 0x4f, 0x4b,
            0x0d, 0x0a,
        };

        private const string Marker = "OSVPS-KVM-OK";

        public static AcceleratorChoice Choose(Accelerator requested, string qemu, CapstanRepository repository, CancellationToken cancellation)
        {
            if (requested == Accelerator.Tcg)
            {
                return new AcceleratorChoice(Accelerator.Tcg, "TCG was asked for", false);
            }
            if (requested == Accelerator.Kvm)
            {
                return new AcceleratorChoice(Accelerator.Kvm, "KVM was asked for", false);
            }
            string? disable = Environment.GetEnvironmentVariable("CAPSTAN_DISABLE_KVM");
            if (!string.IsNullOrEmpty(disable) && disable != "0" && !string.Equals(disable, "false", StringComparison.OrdinalIgnoreCase))
            {
                return new AcceleratorChoice(Accelerator.Tcg, "CAPSTAN_DISABLE_KVM is set", false);
            }
            if (RepositoryConfig.Load(repository).DisableKvm)
            {
                return new AcceleratorChoice(Accelerator.Tcg, "disable_kvm is set in config.yaml", false);
            }
            if (!File.Exists("/dev/kvm"))
            {
                return new AcceleratorChoice(Accelerator.Tcg, "/dev/kvm does not exist: running under TCG, which is much slower", true);
            }
            string cache = CacheFile(repository);
            string key = $"{BootId()}|{qemu}|{File.GetLastWriteTimeUtc(qemu).Ticks}";
            string verdict;
            if (File.Exists(cache) && File.ReadAllLines(cache) is var lines && lines.Length >= 2 && lines[0] == key)
            {
                verdict = lines[1];
            }
            else
            {
                verdict = Decide(qemu, cancellation);
                Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
                AtomicFile.WriteAllText(cache, key + "\n" + verdict + "\n");
            }
            return verdict == "kvm"
                ? new AcceleratorChoice(Accelerator.Kvm, "KVM works on this host", false)
                : new AcceleratorChoice(Accelerator.Tcg, $"/dev/kvm exists but {verdict}: running under TCG", true);
        }

        // Runs the probe guest under TCG and under KVM. KVM wins only when it runs the guest, and not
        // much slower than TCG: nested hosts can offer a /dev/kvm that takes seconds per boot.
        private static string Decide(string qemu, CancellationToken cancellation)
        {
            double? tcg = Probe(qemu, "tcg", cancellation);
            double? kvm = Probe(qemu, "kvm", cancellation);
            if (kvm == null)
            {
                return "QEMU cannot run a guest with KVM";
            }
            if (kvm.Value > Math.Max(1.0, 2 * (tcg ?? 0.5)))
            {
                return $"a guest boots slower with KVM ({kvm.Value:0.00} s) than without ({tcg ?? 0:0.00} s)";
            }
            return "kvm";
        }

        /// <summary>Where the verdict is kept: in the repository (it follows CAPSTAN_ROOT), per boot of the host.</summary>
        private static string CacheFile(CapstanRepository repository) => Path.Combine(repository.Root, "cache", "kvm-probe");

        /// <summary>Seconds the probe guest took to print its marker and power off under <paramref name="accel"/>; null when it did not.</summary>
        private static double? Probe(string qemu, string accel, CancellationToken cancellation)
        {
            string folder = Path.GetTempPath();
            string disk = Path.Combine(folder, "osvps-kvm-probe-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            string log = disk + ".log";
            try
            {
                // SeaBIOS does not boot a disk of a single sector; 1 MiB it does.
                var image = new byte[1 << 20];
                Buffer.BlockCopy(ProbeCode, 0, image, 0, ProbeCode.Length);
                image[510] = 0x55;
                image[511] = 0xAA;
                File.WriteAllBytes(disk, image);
                var arguments = new List<string> { "-accel", accel, "-m", "1024", "-display", "none", "-nodefaults", "-no-user-config" };
                if (accel == "kvm")
                {
                    arguments.AddRange(new[] { "-cpu", "host" });
                }
                arguments.AddRange(new[]
                {
                    "-drive", $"file={disk.Replace(",", ",,")},format=raw,if=none,id=probe",
                    "-device", "virtio-blk-pci,drive=probe,bootindex=0",
                    "-chardev", $"file,id=probe-serial,path={log.Replace(",", ",,")}",
                    "-device", "isa-serial,chardev=probe-serial",
                });
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var result = ProcessRunner.Run(qemu, arguments, cancellation, TimeSpan.FromSeconds(10));
                double seconds = watch.Elapsed.TotalSeconds;
                return result.ExitCode == 0 && File.Exists(log) && File.ReadAllText(log).Contains(Marker) ? seconds : (double?)null;
            }
            catch (TimeoutException)
            {
                return null;
            }
            finally
            {
                AtomicFile.TryDelete(disk);
                AtomicFile.TryDelete(log);
            }
        }

        private static string BootId()
        {
            try
            {
                return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            }
            catch (IOException)
            {
                return "unknown-boot";
            }
        }
    }
}
