using System;
using System.Collections.Generic;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using OsvPS.Completers;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Readiness;
using OsvPS.Core.Models;
using OsvPS.Core.Qemu;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Runs an OSv image under QEMU, in the background or (with -Wait) streaming its console.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "OsvInstance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OsvInstance), typeof(string))]
    public sealed class StartOsvInstanceCommand : GuestCmdlet
    {
        // Some warnings (TCG instead of KVM) are said once a session, not once a run.
        private static readonly HashSet<string> warnedThisSession = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>An OsvImage (from Build-OsvImage or Get-OsvImage), an image name, or an image file.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        [ValidateNotNull]
        [ImageTransformation]
        public ImageArgument Image { get; set; } = null!;

        /// <summary>The instance name (default: the image name); unique among running instances.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        /// <summary>Config sets to run (rewrites the command line of this run only).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ConfigSetCompleter))]
        public string[]? Boot { get; set; }

        /// <summary>Environment variables put in front of the command line.</summary>
        [Parameter]
        public Hashtable? Env { get; set; }

        /// <summary>The whole command line for this run.</summary>
        [Parameter]
        public string? CommandLine { get; set; }

        /// <summary>Memory: 1GB or 512MB (bytes, as PowerShell writes them), '1G' or '512M' as Capstan's -m takes them, or a bare number of megabytes (512); default 1GB.</summary>
        [Parameter]
        [MemoryTransformation]
        [ValidateRange(16L * 1024 * 1024, long.MaxValue)]
        public long Memory { get; set; } = 1024L * 1024 * 1024;

        [Parameter]
        [ValidateRange(1, 255)]
        public int Cpus { get; set; } = 2;

        /// <summary>User (default; Capstan's 'Nat'), None, Bridge, Tap, or the name of a network made with New-OsvNetwork.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(NetworkNameCompleter))]
        public string Network { get; set; } = nameof(NetworkMode.User);

        [Parameter]
        public string? Bridge { get; set; }

        [Parameter]
        public string? TapDevice { get; set; }

        /// <summary>Port forwards '[tcp:|udp:][ADDRESS:]HOST:GUEST'; without ADDRESS the host side listens on 127.0.0.1 only.</summary>
        [Parameter]
        public string[]? Forward { get; set; }

        /// <summary>Extra disks: 'path' or 'path:format=raw'.</summary>
        [Parameter]
        public string[]? Volume { get; set; }

        [Parameter]
        public Accelerator Accelerator { get; set; } = Accelerator.Auto;

        /// <summary>Auto boots straight into the kernel when the loader has one beside it.</summary>
        [Parameter]
        public BootMode BootMode { get; set; } = BootMode.Auto;

        /// <summary>Stream the console to the pipeline and return when the guest stops.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>Return the instance once it answers this probe: tcp:PORT (the guest's port, through its -Forward), http://ADDRESS:PORT/PATH or console:REGEX.</summary>
        [Parameter]
        [ReadinessProbeTransformation]
        public ReadinessProbe? WaitReady { get; set; }

        /// <summary>With -Wait: stop the guest after this many seconds (or a time span such as '00:02:00'); with -WaitReady: how long to wait for readiness.</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan? Timeout { get; set; }

        /// <summary>The QEMU program (default: $env:CAPSTAN_QEMU_PATH, else qemu-system-x86_64 from PATH).</summary>
        [Parameter]
        public string? QemuPath { get; set; }

        /// <summary>Where the instance runs: a connection URI (qemu:///system, qemu+ssh://host/system) makes it a domain of that host; without it, QEMU runs here.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Connection { get; set; }

        /// <summary>With -Connection: the storage pool that holds the image (uploaded once per content) and the instance's overlay; created as a dir pool when missing.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string StoragePool { get; set; } = "default";

        // No QEMU is a failure of the whole call, not of each image in the pipeline; so is an option the engine
        // does not use (-QemuPath for a host that chooses its own).
        protected override void BeginProcessing()
        {
            try
            {
                InstanceEngines.CheckCall(Connection, EngineOptions());
                if (Wait && WaitReady != null)
                {
                    throw new OsvException(ErrorIds.InstanceSettingInvalid, OsvErrorKind.InvalidArgument,
                        "-Wait follows the guest to its end and -WaitReady returns it once it answers: use one of them.", WaitReady.Text);
                }
            }
            catch (OsvException e)
            {
                ThrowFailure(e, e.Target ?? QemuPath);
            }
        }

        protected override void ProcessRecord()
        {
            ForItem(Image, () =>
            {
                var repository = new CapstanRepository();
                var (imagePath, imageName) = Image.Resolve(repository);
                var request = new StartRequest
                {
                    ImagePath = imagePath,
                    ImageName = imageName,
                    Name = Name,
                    Boot = Boot,
                    Env = Hashtables.ToStringDictionary(Env),
                    CommandLine = CommandLine,
                    Machine = new MachineOptions
                    {
                        MemoryMiB = (int)Math.Min(int.MaxValue, Memory / (1024 * 1024)),
                        Cpus = Cpus,
                        Bridge = Bridge,
                        TapDevice = TapDevice,
                        Forwards = (Forward ?? new string[0]).Select(PortForward.Parse).ToList(),
                        Volumes = (Volume ?? new string[0]).Select(v => VolumeSpec.Parse(ResolveVolume(v))).ToList(),
                    },
                    Accelerator = Accelerator,
                    BootMode = BootMode,
                    EngineOptions = EngineOptions(),
                    Attached = Wait,
                };
                request.Machine.SetNetwork(Network);
                var engine = engines.Open(Connection, repository);
                var plan = engine.Plan(request, CancellationToken);
                // A probe the instance would give no way in is refused before anything starts.
                WaitReady?.CheckForwards(plan.Name, request.Machine.Forwards);
                WriteVerbose($"Instance '{plan.Name}' on {plan.Host}: {plan.BootModeName} boot, {plan.Accelerator}, command line: {plan.CommandLine}");
                if (!ShouldProcess(plan.Name, $"Start OSv instance of '{imageName}' on {plan.Host}"))
                {
                    return;
                }
                foreach (string warning in plan.Warnings)
                {
                    WriteWarning(warning);
                }
                foreach (string warning in plan.SessionWarnings)
                {
                    bool first;
                    lock (warnedThisSession)
                    {
                        first = warnedThisSession.Add(warning);
                    }
                    if (first)
                    {
                        WriteWarning(warning);
                    }
                }
                using (var running = engine.Start(plan, CancellationToken))
                {
                    var started = engine.Get(plan.Name, CancellationToken);
                    if (started.QemuCommand.Count > 0)
                    {
                        WriteVerbose("QEMU: " + started.QemuCommand);
                    }
                    if (WaitReady != null)
                    {
                        WriteObject(WaitUntilReady(engine, running, WaitReady, Timeout));
                        return;
                    }
                    if (!Wait)
                    {
                        WriteObject(started);
                        return;
                    }
                    var options = new FollowOptions
                    {
                        Timeout = Timeout,
                        StopOnTimeout = true,
                        StopOnCancel = true,
                        Line = WriteObject,
                        HiddenLine = WriteVerbose,
                        Tick = InstanceProgress("Running", plan.Name, Timeout),
                    };
                    var result = InstanceFollower.Follow(engine, running, options, CancellationToken);
                    CompleteInstanceProgress();
                    if (result.TimedOut)
                    {
                        WriteWarning($"Instance '{plan.Name}' ran longer than {Timeout}; stopping it.");
                    }
                    var ended = result.Instance ?? engine.Get(plan.Name, CancellationToken);
                    WriteObject(ended);
                    WriteGuestFailure(ended);
                }
            });
        }

        private readonly EngineCache engines = new EngineCache();

        // The options only some engines use, as given (a default is the engine's to choose): each engine refuses those it does not use.
        private EngineOptions EngineOptions() => new EngineOptions()
            .Set(nameof(QemuPath), QemuPath == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(QemuPath))
            .Set(nameof(StoragePool), MyInvocation.BoundParameters.ContainsKey(nameof(StoragePool)) ? StoragePool : null);

        protected override void ReleaseResources() => engines.Dispose();

        private string ResolveVolume(string spec)
        {
            var parsed = VolumeSpec.Parse(spec);
            string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(parsed.Path);
            return parsed.Format == null ? path : path + ":format=" + parsed.Format;
        }

    }
}
