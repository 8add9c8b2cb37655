using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;
using OsvPS.Core.Rofs;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// What every engine checks and decides before a start: the name, the machine, the image and its
    /// format, the kernel for a direct boot, and the command line of the run. Engines add what is
    /// theirs (QEMU and the accelerator here, a storage pool on libvirt) and start from the plan.
    /// </summary>
    internal static class InstancePlanner
    {
        /// <summary>Checks <paramref name="request"/> and plans it; <paramref name="rawOrQcow2Only"/> for engines that need a raw or qcow2 image.</summary>
        public static StartPlan Plan(StartRequest request, bool rawOrQcow2Only = false)
        {
            string name = request.Name ?? InstanceNames.Default(request.ImageName);
            InstanceNames.Validate(name);
            ValidateMachine(request.Machine, name);
            if (!File.Exists(request.ImagePath))
            {
                throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound, $"image file '{request.ImagePath}' does not exist.", request.ImagePath);
            }
            var format = DiskFormats.Detect(request.ImagePath);
            bool rewritable = format == DiskFormat.Raw || format == DiskFormat.Qcow2;
            string? kernel = request.BootMode == BootMode.Disk ? null : FindKernel(request.ImagePath);
            if (kernel != null)
            {
                CheckKernel(kernel);
            }
            if (request.BootMode == BootMode.Kernel && kernel == null)
            {
                throw new OsvException(ErrorIds.KernelNotFound, OsvErrorKind.ObjectNotFound,
                    $"image '{request.ImageName}' has no kernel ELF beside it or its loader; attach one with 'Import-OsvImage -Kernel', or use -BootMode Disk.", request.ImageName);
            }
            if (!rewritable && (rawOrQcow2Only || request.RewritesCommandLine || kernel != null))
            {
                string why = rawOrQcow2Only ? "this engine needs" : "choosing the command line at run time needs";
                throw new OsvException(ErrorIds.DiskFormatNotSupported, OsvErrorKind.InvalidOperation,
                    $"'{request.ImagePath}' is {format}; {why} a raw or qcow2 image (build with -Format qcow2).", request.ImagePath);
            }
            string commandLine = "";
            string? shown = null;
            IReadOnlyList<string> sets = new string[0];
            if (rewritable)
            {
                using (var disk = DiskReader.Open(request.ImagePath))
                {
                    sets = RofsIndex.List(disk, "/run").ToList();
                    commandLine = RunCommandLine(request, disk, sets);
                    shown = request.Env?.Count > 0 ? RunCommandLine(request.WithEnvHidden(), disk, sets) : null;
                }
            }
            return new StartPlan(request, name, format, kernel, commandLine, rewritable && kernel == null, sets) { ShownCommandLine = shown ?? commandLine };
        }

        /// <summary>
        /// Plans <paramref name="request"/> so that no -Env value reaches a process's command line: when a kernel boot's
        /// line would (<paramref name="exposes"/> says whether the engine hands it to QEMU as -append), a start with no
        /// -BootMode boots from disk instead, its overlay holding the line, and -BootMode Kernel is refused.
        /// </summary>
        public static StartPlan PlanKeepingEnvPrivate(StartRequest request, bool rawOrQcow2Only, string host, System.Func<StartPlan, bool> exposes)
        {
            var plan = Plan(request, rawOrQcow2Only);
            if (plan.Kernel == null || !(request.Env?.Count > 0) || !exposes(plan))
            {
                return plan;
            }
            if (request.BootMode != BootMode.Auto)
            {
                throw new OsvException(ErrorIds.EnvNeedsDiskBoot, OsvErrorKind.InvalidOperation,
                    $"instance '{plan.Name}': this kernel boot's command line would be QEMU's -append, which every local user of {host} reads with ps, so -Env values do not go there; use -BootMode Disk (or leave -BootMode out), which keeps them in the instance's overlay.", plan.Name);
            }
            return Plan(request.WithBootMode(BootMode.Disk), rawOrQcow2Only);
        }

        /// <summary>The machine settings any engine checks: memory, CPUs, network and forwards.</summary>
        public static void ValidateMachine(MachineOptions machine, string name)
        {
            if (machine.MemoryMiB < 16 || machine.Cpus < 1 || machine.Cpus > 255)
            {
                throw new OsvException(ErrorIds.InstanceSettingInvalid, OsvErrorKind.InvalidArgument, "-Memory must be at least 16 MB and -Cpus between 1 and 255.", name);
            }
            machine.Validate();
            if (machine.Network == NetworkMode.Tap && string.IsNullOrEmpty(machine.TapDevice))
            {
                throw new OsvException(ErrorIds.InstanceSettingInvalid, OsvErrorKind.InvalidArgument, "-Network Tap needs -TapDevice.", name);
            }
            if (machine.Forwards.Count > 0 && machine.Network != NetworkMode.User && machine.Network != NetworkMode.Named)
            {
                throw new OsvException(ErrorIds.InstanceSettingInvalid, OsvErrorKind.InvalidArgument, "-Forward works with user networking and OsvPS networks only.", name);
            }
        }

        /// <summary>The command line a run of <paramref name="disk"/> gets: the image's own, or the one -Boot, -Env and -CommandLine make.</summary>
        internal static string RunCommandLine(StartRequest request, DiskReader disk, IReadOnlyList<string> sets)
        {
            string current = OsvDiskLayout.ReadCommandLine(disk);
            if (!(request.Boot?.Count > 0) && string.IsNullOrEmpty(request.CommandLine))
            {
                // An image that runs nothing by itself (the seed's run.yaml has no default set) needs -Boot.
                BootCommands.RequireConfigSet(current, () => sets, request.ImageName);
            }
            if (!request.RewritesCommandLine)
            {
                return current;
            }
            if (string.IsNullOrEmpty(request.CommandLine) && !(request.Boot?.Count > 0))
            {
                // Only -Env: keep what the image runs, with the env in front.
                return BootCommands.ComposeCommandLine(current, null, request.Env, null, null);
            }
            return BootCommands.ComposeCommandLine(request.CommandLine, request.Boot, request.Env, null, sets);
        }

        /// <summary>The kernel ELF that belongs to an image: beside the image itself (a loader) or beside its loader.</summary>
        public static string? FindKernel(string imagePath)
        {
            string own = Path.ChangeExtension(imagePath, ".elf");
            if (File.Exists(own))
            {
                return own;
            }
            string? loader = CapstanRepository.ReadIndexFile(Path.Combine(Path.GetDirectoryName(imagePath) ?? ".", "index.yaml")).Loader;
            if (loader != null)
            {
                string beside = Path.ChangeExtension(loader, ".elf");
                if (File.Exists(beside))
                {
                    return beside;
                }
            }
            return null;
        }

        // A kernel downloaded with its loader has its hash in the loader's index: a changed file is not booted.
        internal static void CheckKernel(string kernel)
        {
            string? expected = CapstanRepository.ReadIndexFile(Path.Combine(Path.GetDirectoryName(kernel) ?? ".", "index.yaml")).KernelSha256;
            if (expected != null && IO.FileHash.Sha256(kernel) != expected)
            {
                throw new OsvException(ErrorIds.KernelCorrupt, OsvErrorKind.InvalidData,
                    $"the kernel '{kernel}' no longer matches the SHA-256 recorded when it was downloaded; fetch it again with 'Save-OsvImage -Force'.", kernel);
            }
        }
    }
}
