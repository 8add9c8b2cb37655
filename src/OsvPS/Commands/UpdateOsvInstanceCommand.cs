using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
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
    /// Replaces a running instance with a new image without taking its forwards down: the replacement starts beside it on
    /// temporary host ports, is waited on until it answers, takes the old instance's forwards, and the old one is stopped.
    /// A replacement that never gets ready is stopped and the old instance serves on.
    /// </summary>
    [Cmdlet(VerbsData.Update, "OsvInstance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OsvInstance))]
    public sealed class UpdateOsvInstanceCommand : InstanceCmdlet
    {
        /// <summary>The running instance to replace, or an instance from the pipeline by its Name.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(InstanceNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        /// <summary>The image the replacement runs: an OsvImage, an image name, or an image file.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        [ValidateNotNull]
        [ImageTransformation]
        public ImageArgument Image { get; set; } = null!;

        /// <summary>The replacement's name; default: the old name with the next free number (web becomes web-2, web-2 becomes web-3).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? NewName { get; set; }

        /// <summary>When the replacement counts as ready (as Start-OsvInstance -WaitReady takes it, written for the old instance's forwards); default: tcp: of the first TCP forward's guest port.</summary>
        [Parameter]
        [ReadinessProbeTransformation]
        public ReadinessProbe? WaitReady { get; set; }

        /// <summary>How long the replacement may take to get ready (default 5 minutes).</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan? Timeout { get; set; }

        /// <summary>How long the old instance may take to power down once replaced, before QEMU is made to quit (default 10 seconds).</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Config sets the replacement runs (default: the old instance's command line).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ConfigSetCompleter))]
        public string[]? Boot { get; set; }

        /// <summary>Environment variables put in front of the replacement's command line.</summary>
        [Parameter]
        public Hashtable? Env { get; set; }

        /// <summary>The replacement's whole command line (default: the old instance's).</summary>
        [Parameter]
        public string? CommandLine { get; set; }

        /// <summary>How long the old instance keeps running once its forwards moved, for the requests it took to finish (default 1 second).</summary>
        [Parameter]
        [TimeoutTransformation]
        public TimeSpan Drain { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Remove the old instance once it stopped (default: it stays, Stopped, with its console).</summary>
        [Parameter]
        public SwitchParameter RemoveOld { get; set; }

        protected override void ProcessRecord() => ForItem(Name, () =>
        {
            var engine = Engine();
            if (engine == null)
            {
                return;
            }
            if (!(engine is IInstanceHandOver handOver))
            {
                throw new OsvException(ErrorIds.ReplaceNotSupported, OsvErrorKind.NotImplemented,
                    $"instance '{Name}' runs on {engine.Host}, whose forwards cannot move from one instance to another at run time; Update-OsvInstance replaces instances of this machine's QEMU engine.", Name);
            }
            var old = engine.Get(Name, CancellationToken);
            if (old.State != InstanceState.Running)
            {
                throw new OsvException(ErrorIds.InstanceNotRunning, OsvErrorKind.InvalidOperation,
                    $"instance '{Name}' is {old.State}: there is nothing serving to replace; start the new image with Start-OsvInstance.", Name);
            }
            var forwards = old.Forwards.Select(PortForward.Parse).ToList();
            var probe = WaitReady ?? DefaultProbe(forwards);
            var temporary = forwards.Select(f => new PortForward(f.Protocol, PortForward.DefaultAddress, FreePort(f.Protocol), f.GuestPort)).ToList();
            var probeNow = probe.Through(forwards, temporary);
            probeNow.CheckForwards(NewName ?? Name, temporary);

            var repository = new CapstanRepository();
            var (imagePath, imageName) = Image.Resolve(repository);
            string newName = NewName ?? NextName(engine, Name);
            bool ownLine = Boot?.Length > 0 || Env?.Count > 0 || !string.IsNullOrEmpty(CommandLine);
            var request = new StartRequest
            {
                ImagePath = imagePath,
                ImageName = imageName,
                Name = newName,
                Boot = Boot,
                Env = Hashtables.ToStringDictionary(Env),
                CommandLine = ownLine ? CommandLine : old.CommandLine,
                Machine = new MachineOptions
                {
                    MemoryMiB = QemuValue(old, "-m", v => int.Parse(v.TrimEnd('M', 'm'), CultureInfo.InvariantCulture), 1024),
                    Cpus = QemuValue(old, "-smp", v => int.Parse(v, CultureInfo.InvariantCulture), 2),
                    Forwards = temporary,
                },
                // The old instance's accelerator, as it shows it (Kvm or Tcg): the replacement runs on the same.
                Accelerator = string.Equals(old.Accelerator, nameof(Accelerator.Kvm), StringComparison.OrdinalIgnoreCase) ? Accelerator.Kvm : Accelerator.Tcg,
                BootMode = BootMode.Auto,
            };
            // The replacement joins the old instance's network (User, or an OsvPS network by name).
            request.Machine.SetNetwork(old.Network);
            var plan = engine.Plan(request, CancellationToken);
            string moving = string.Join(", ", forwards.Select(f => f.ToString()));
            var steps = new[]
            {
                $"Start '{newName}' of '{imageName}' beside '{Name}', its forwards on temporary ports ({string.Join(", ", temporary.Select(f => f.ToString()))}), command line: {plan.CommandLine}",
                $"Wait until '{newName}' answers {probeNow}",
                forwards.Count > 0 ? $"Move the forwards {moving} from '{Name}' to '{newName}'" : $"Move no forward ('{Name}' has none)",
                (RemoveOld ? $"Stop '{Name}' and remove it" : $"Stop '{Name}'") + $", {Drain.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s after the move (the requests it took finish)",
            };
            bool go = true;
            foreach (string step in steps)
            {
                go &= ShouldProcess(Name, step);
            }
            if (!go)
            {
                return;
            }
            foreach (string warning in plan.Warnings)
            {
                WriteWarning(warning);
            }

            using (var running = engine.Start(plan, CancellationToken))
            {
                try
                {
                    WaitUntilReady(engine, running, probeNow, Timeout);
                }
                catch (OsvException e) when (e.ErrorId == ErrorIds.NotReady)
                {
                    throw Abandon(engine, newName, e.Message, e);
                }
            }
            IReadOnlyList<TimeSpan> gaps;
            try
            {
                // A guest that powered off just after its probe answered (QEMU holds a forwarded connection while it
                // pauses) is not ready: the move checks the replacement runs before it touches a forward.
                gaps = handOver.HandOver(Name, newName, forwards, temporary, CancellationToken);
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.InstanceNotRunning && Equals(e.Target, newName))
            {
                var ended = engine.Get(newName, CancellationToken);
                throw Abandon(engine, newName, $"instance '{newName}' answered, then ended: {ended.State}{(string.IsNullOrEmpty(ended.Reason) ? "" : ", " + ended.Reason)}. Its console ends:{ConsoleTail(engine, newName)}", e);
            }
            for (int i = 0; i < gaps.Count; i++)
            {
                WriteVerbose($"{forwards[i]} moved from '{Name}' to '{newName}': no listener for {gaps[i].TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)} ms.");
            }
            // Connections the old instance accepted before the move are its own to finish.
            if (Drain > TimeSpan.Zero && CancellationToken.WaitHandle.WaitOne(Drain))
            {
                CancellationToken.ThrowIfCancellationRequested();
            }
            engine.Stop(Name, StopTimeout, false, CancellationToken);
            if (RemoveOld)
            {
                engine.Remove(Name, false, CancellationToken);
            }
            WriteObject(engine.Get(newName, CancellationToken));
        });

        // The replacement is stopped (kept, for its console), and the old instance, untouched, serves on.
        private OsvException Abandon(IInstanceEngine engine, string newName, string why, OsvException inner)
        {
            engine.Stop(newName, TimeSpan.Zero, true, CancellationToken);
            return new OsvException(ErrorIds.NotReady, inner.ErrorId == ErrorIds.NotReady ? inner.Kind : OsvErrorKind.InvalidResult,
                $"the replacement '{newName}' of '{Name}' never got ready, so it was stopped and '{Name}' serves on as it was. {why}"
                + $" The console of '{Name}' ends:{ConsoleTail(engine, Name)}", Name, inner);
        }

        // The last lines of an instance's console, one a line, for a message.
        private string ConsoleTail(IInstanceEngine engine, string name)
            => Environment.NewLine + string.Join(Environment.NewLine, engine.ReadConsole(name, 10, CancellationToken).Select(l => "  " + l));

        private ReadinessProbe DefaultProbe(IReadOnlyList<PortForward> forwards)
        {
            var tcp = forwards.FirstOrDefault(f => f.Protocol == "tcp")
                ?? throw new OsvException(ErrorIds.ReadinessProbeUnreachable, OsvErrorKind.InvalidArgument,
                    $"instance '{Name}' has no TCP forward to know its replacement is ready by; give -WaitReady (console:REGEX, for one).", Name);
            return ReadinessProbe.Parse("tcp:" + tcp.GuestPort.ToString(CultureInfo.InvariantCulture));
        }

        // The old name with the next number no instance has: web -> web-2, web-2 -> web-3.
        private string NextName(IInstanceEngine engine, string name)
        {
            var m = Regex.Match(name, @"^(?<base>.+)-(?<n>[0-9]{1,6})$");
            string stem = m.Success ? m.Groups["base"].Value : name;
            int next = m.Success ? int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) + 1 : 2;
            var taken = new HashSet<string>(engine.List(CancellationToken).Select(i => i.Name), StringComparer.Ordinal);
            while (taken.Contains($"{stem}-{next}"))
            {
                next++;
            }
            return $"{stem}-{next}";
        }

        // A setting of the old instance read from its QEMU command line (-m 1024M, -smp 2), else the default.
        private static int QemuValue(OsvInstance instance, string option, Func<string, int> parse, int otherwise)
        {
            var command = instance.QemuCommand.ToList();
            int at = command.IndexOf(option);
            try
            {
                return at >= 0 && at + 1 < command.Count ? parse(command[at + 1]) : otherwise;
            }
            catch (FormatException)
            {
                return otherwise;
            }
        }

        // A host port free now on 127.0.0.1, for a forward of the replacement until it takes the old one's.
        private static int FreePort(string protocol)
        {
            if (protocol == "udp")
            {
                using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
                {
                    return ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
                }
            }
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                return ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            finally
            {
                listener.Stop();
            }
        }
    }
}
