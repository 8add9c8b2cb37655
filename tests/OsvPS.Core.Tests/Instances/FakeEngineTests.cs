using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using OsvPS.Core.Disk;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Instances.Readiness;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>
    /// A third engine, in this file alone: guests that live in memory, "boot" by writing lines to a console
    /// file (one line each time they are looked at) and end with the exit code the -ExitCode engine option
    /// gives. It is found by its scheme (<c>fake://</c>) and driven only through the seam the cmdlets use:
    /// the registry, Plan, Start, Attach, List, Get, the follower, Stop, Remove and ReadConsole.
    /// </summary>
    public sealed class FakeEngineTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly CapstanRepository repository;

        public FakeEngineTests()
        {
            repository = new CapstanRepository(dir.Combine("capstan"));
            InstanceEngines.Register("fake", new FakeEngineFactory(dir.Combine("consoles")));
        }

        public void Dispose() => dir.Dispose();

        private static StartRequest Request(string name, string commandLine, int? exitCode = null) => new StartRequest
        {
            ImagePath = "/images/" + name + ".qemu",
            ImageName = name,
            CommandLine = commandLine,
            EngineOptions = new EngineOptions().Set(FakeEngine.ExitCodeOption, exitCode?.ToString(CultureInfo.InvariantCulture)),
        };

        private static List<string> Booted(string commandLine) => new List<string> { "OSv v0.57.0-fake", "Booting the fake kernel", "running " + commandLine, "done with " + commandLine };

        [Fact]
        public void AGuestRunsToItsEndThroughTheSeam()
        {
            InstanceEngines.CheckCall("fake://lab", new EngineOptions().Set(FakeEngine.ExitCodeOption, "3"));
            using var engine = InstanceEngines.Open("fake://lab", repository);
            Assert.Equal("fake://lab", engine.Host);

            var plan = engine.Plan(Request("web", "/hello world", exitCode: 3), CancellationToken.None);
            Assert.Equal("web", plan.Name);
            Assert.Equal("/hello world", plan.CommandLine);
            Assert.Equal("fake://lab", plan.Host);

            var lines = new List<string>();
            using (var running = engine.Start(plan, CancellationToken.None))
            {
                var started = engine.Get("web", CancellationToken.None);
                Assert.Equal(InstanceState.Running, started.State);
                Assert.Equal("Fake", started.Engine);
                Assert.Equal("fake://lab", started.Connection);
                Assert.Null(started.Pid);
                Assert.Empty(started.QemuCommand);
                Assert.Equal(new[] { "web" }, engine.List(CancellationToken.None).Select(i => i.Name));

                var result = InstanceFollower.Follow(engine, running, new FollowOptions { Line = lines.Add }, CancellationToken.None);
                Assert.False(result.TimedOut);
                Assert.Equal(InstanceState.Failed, result.Instance!.State);
                Assert.Equal(3, result.Instance.ExitCode);
                Assert.Equal(ErrorIds.GuestProgramFailed, result.Instance.FailureId);
            }
            Assert.Equal(Booted("/hello world"), lines);
            Assert.Equal(Booted("/hello world"), engine.ReadConsole("web", null, CancellationToken.None));
            Assert.Equal(new[] { "done with /hello world" }, engine.ReadConsole("web", 1, CancellationToken.None));
            Assert.Equal(Booted("/hello world"), File.ReadAllLines(engine.Get("web", CancellationToken.None).ConsolePath));

            engine.Remove("web", force: false, CancellationToken.None);
            Assert.Empty(engine.List(CancellationToken.None));
            Assert.Equal(ErrorIds.InstanceNotFound, Assert.Throws<OsvException>(() => engine.Get("web", CancellationToken.None)).ErrorId);
        }

        [Fact]
        public void AnotherOpenAttachesWaitsAndFinishesWithStatusZero()
        {
            using var starter = InstanceEngines.Open("fake://lab", repository);
            using (starter.Start(starter.Plan(Request("job", "/job"), CancellationToken.None), CancellationToken.None))
            {
            }
            using var engine = InstanceEngines.Open("fake://lab", repository);
            using var attached = engine.Attach("job", CancellationToken.None);
            int looks = 1;
            while (!attached.WaitForEnd(TimeSpan.Zero))
            {
                looks++;
            }
            // The start printed the first line, and each look one more: the last look saw the end.
            Assert.Equal(Booted("/job").Count - 1, looks);
            var ended = attached.Finish();
            Assert.Equal(InstanceState.Stopped, ended.State);
            Assert.Equal(0, ended.ExitCode);
            Assert.Null(ended.FailureId);
            Assert.Equal(Booted("/job"), engine.ReadConsole("job", null, CancellationToken.None));
        }

        [Fact]
        public void AStoppedGuestKeepsWhatItPrintedAndARunningOneIsRemovedOnlyWithForce()
        {
            using var engine = InstanceEngines.Open("fake://lab", repository);
            using (var running = engine.Start(engine.Plan(Request("long", "/long"), CancellationToken.None), CancellationToken.None))
            {
                Assert.False(running.WaitForEnd(TimeSpan.Zero));
                Assert.False(running.WaitForEnd(TimeSpan.Zero));
            }
            var e = Assert.Throws<OsvException>(() => engine.Remove("long", force: false, CancellationToken.None));
            Assert.Equal(ErrorIds.InstanceRunning, e.ErrorId);

            var stopped = engine.Stop("long", TimeSpan.FromSeconds(1), force: false, CancellationToken.None);
            Assert.Equal(InstanceState.Stopped, stopped.State);
            Assert.Null(stopped.ExitCode);
            Assert.Equal(Booted("/long").Take(3), engine.ReadConsole("long", null, CancellationToken.None));

            using (engine.Start(engine.Plan(Request("other", "/other"), CancellationToken.None), CancellationToken.None))
            {
            }
            engine.Remove("other", force: true, CancellationToken.None);
            Assert.Equal(new[] { "long" }, engine.List(CancellationToken.None).Select(i => i.Name));
        }

        [Fact]
        public void TheFakeEngineRefusesTheOptionsItDoesNotUseAndOtherHostsDoNotSeeItsGuests()
        {
            var e = Assert.Throws<OsvException>(() => InstanceEngines.CheckCall("fake://lab", new EngineOptions().Set("QemuPath", "/usr/bin/qemu")));
            Assert.Equal(ErrorIds.EngineOptionNotSupported, e.ErrorId);
            Assert.Equal("/usr/bin/qemu", e.Target);
            using var lab = InstanceEngines.Open("fake://lab", repository);
            using (lab.Start(lab.Plan(Request("mine", "/x"), CancellationToken.None), CancellationToken.None))
            {
            }
            using var elsewhere = InstanceEngines.Open("fake://elsewhere", repository);
            Assert.Empty(elsewhere.List(CancellationToken.None));
            Assert.Equal(ErrorIds.InstanceNotFound, Assert.Throws<OsvException>(() => elsewhere.ReadConsole("mine", null, CancellationToken.None)).ErrorId);
        }

        /// <summary>The fake's registration: its guests are kept per host, so every Open of one host sees them.</summary>
        [Fact]
        public void AWaitForReadinessReturnsTheRunningInstanceOnceItsConsoleSaysSo()
        {
            using var engine = InstanceEngines.Open("fake://lab", repository);
            using var running = engine.Start(engine.Plan(Request("ready", "/serve"), CancellationToken.None), CancellationToken.None);
            var outcome = ReadinessCheck.Wait(engine, running, ReadinessProbe.Parse("console:^Booting"), TimeSpan.FromMinutes(10), null, CancellationToken.None);
            Assert.True(outcome.Ready);
            Assert.False(outcome.Ended);
            Assert.Null(outcome.Error);
            Assert.Equal("line: Booting the fake kernel", outcome.Detail);
            Assert.Equal(InstanceState.Running, outcome.Instance.State);

            var once = ReadinessCheck.Once(engine, engine.Get("ready", CancellationToken.None), ReadinessProbe.Parse("console:^running /serve$"), CancellationToken.None);
            Assert.Equal(("ready", "console:^running /serve$", true, "line: running /serve"), (once.Name, once.Probe, once.Ready, once.Detail));
        }

        [Fact]
        public void AnInstanceThatEndsBeforeItIsReadyFailsTheWaitAtOnceWithItsReasonAndLastLines()
        {
            using var engine = InstanceEngines.Open("fake://lab", repository);
            var plan = engine.Plan(Request("doomed", "/serve", exitCode: 3), CancellationToken.None);
            OsvInstance ended;
            using (var running = engine.Start(plan, CancellationToken.None))
            {
                // Ten minutes to wait: only the end of the guest can make this return now.
                var outcome = ReadinessCheck.Wait(engine, running, ReadinessProbe.Parse("console:never printed"), TimeSpan.FromMinutes(10), null, CancellationToken.None);
                Assert.False(outcome.Ready);
                Assert.True(outcome.Ended);
                Assert.Equal(InstanceState.Failed, outcome.Instance.State);
                Assert.Equal(ErrorIds.NotReady, outcome.Error!.Id);
                Assert.Equal(OsvErrorKind.InvalidResult, outcome.Error.Kind);
                Assert.Same(outcome.Instance, outcome.Error.Target);
                Assert.StartsWith("instance 'doomed' ended before it was ready (console:never printed; last check: no such line yet): Failed, ", outcome.Error.Message);
                Assert.EndsWith("The last 4 lines of its console:\n  OSv v0.57.0-fake\n  Booting the fake kernel\n  running /serve\n  done with /serve", outcome.Error.Message);
                ended = outcome.Instance;
            }

            // Once ended, a check says so and a new wait is refused as not running.
            var once = ReadinessCheck.Once(engine, ended, ReadinessProbe.Parse("console:running"), CancellationToken.None);
            Assert.False(once.Ready);
            Assert.StartsWith("Failed, ", once.Detail);
            var refused = ReadinessCheck.NotRunning(engine, ended, ReadinessProbe.Parse("tcp:80"), CancellationToken.None);
            Assert.Equal(ErrorIds.NotReady, refused.Id);
            Assert.StartsWith("instance 'doomed' is not running, so it will not be ready (tcp:80): Failed, ", refused.Message);
        }

        private sealed class FakeEngineFactory : IInstanceEngineFactory
        {
            private readonly string consoles;
            private readonly Dictionary<string, Dictionary<string, FakeGuest>> hosts = new Dictionary<string, Dictionary<string, FakeGuest>>(StringComparer.Ordinal);

            public FakeEngineFactory(string consoles) => this.consoles = consoles;

            public IInstanceEngine Open(string? connection, CapstanRepository repository)
            {
                lock (hosts)
                {
                    if (!hosts.TryGetValue(connection!, out var guests))
                    {
                        hosts[connection!] = guests = new Dictionary<string, FakeGuest>(StringComparer.Ordinal);
                    }
                    return new FakeEngine(connection!, Path.Combine(consoles, Uri.EscapeDataString(connection!)), guests);
                }
            }

            public void CheckCall(string? connection, EngineOptions options) => FakeEngine.ExitCodeOf(options, connection!);
        }

        private sealed class FakeGuest
        {
            public FakeGuest(string name, string image, string commandLine, string consolePath, int exitCode)
            {
                Name = name;
                Image = image;
                CommandLine = commandLine;
                ConsolePath = consolePath;
                ExitCode = exitCode;
                Lines = Booted(commandLine);
            }

            public string Name { get; }
            public string Image { get; }
            public string CommandLine { get; }
            public string ConsolePath { get; }
            public int ExitCode { get; }
            public List<string> Lines { get; }
            public int Written { get; set; }
            public DateTime Started { get; } = DateTime.UtcNow;
            public DateTime? Stopped { get; set; }
            public bool StopRequested { get; set; }
            public bool Running => Stopped == null;

            /// <summary>One step of the guest's life: its next console line, or its end after the last.</summary>
            public void Step()
            {
                if (!Running)
                {
                    return;
                }
                if (Written < Lines.Count)
                {
                    File.AppendAllText(ConsolePath, Lines[Written++] + "\n");
                }
                if (Written == Lines.Count)
                {
                    Stopped = DateTime.UtcNow;
                }
            }
        }

        private sealed class FakeEngine : IInstanceEngine
        {
            public const string ExitCodeOption = "ExitCode";
            private readonly string folder;
            private readonly Dictionary<string, FakeGuest> guests;

            public FakeEngine(string connection, string folder, Dictionary<string, FakeGuest> guests)
            {
                Connection = connection;
                this.folder = folder;
                this.guests = guests;
            }

            public string Name => "Fake";
            public string? Connection { get; }
            public string Host => Connection!;

            public static int ExitCodeOf(EngineOptions options, string connection)
            {
                options.RefuseAllBut("on " + connection, ExitCodeOption);
                return int.Parse(options[ExitCodeOption] ?? "0", CultureInfo.InvariantCulture);
            }

            public StartPlan Plan(StartRequest request, CancellationToken cancellation)
            {
                string name = request.Name ?? InstanceNames.Default(request.ImageName);
                InstanceNames.Validate(name);
                var plan = new StartPlan(request, name, DiskFormat.Raw, null, request.CommandLine ?? "", false, new string[0]) { Host = Host };
                return new FakePlan(plan, ExitCodeOf(request.EngineOptions, Host));
            }

            public IRunningInstance Start(StartPlan plan, CancellationToken cancellation)
            {
                Directory.CreateDirectory(folder);
                var guest = new FakeGuest(plan.Name, plan.Request.ImageName, plan.CommandLine, Path.Combine(folder, plan.Name + ".console"), ((FakePlan)plan).ExitCode);
                File.WriteAllText(guest.ConsolePath, "");
                guest.Step();
                guests[plan.Name] = guest;
                return Attach(plan.Name, cancellation);
            }

            public IRunningInstance Attach(string name, CancellationToken cancellation) => new FakeRunning(this, Find(name));

            public IEnumerable<OsvInstance> List(CancellationToken cancellation, Action<OsvException>? invalid = null)
                => guests.Keys.OrderBy(n => n, StringComparer.Ordinal).Select(n => Get(n, cancellation)).ToList();

            public OsvInstance Get(string name, CancellationToken cancellation)
            {
                var guest = Find(name);
                var facts = new InstanceFacts
                {
                    Name = guest.Name,
                    Path = Host + "/" + guest.Name,
                    Image = guest.Image,
                    Started = guest.Started,
                    Stopped = guest.Stopped,
                    ConsolePath = guest.ConsolePath,
                    Accelerator = "Tcg",
                    BootMode = "Disk",
                    CommandLine = guest.CommandLine,
                };
                var outcome = guest.Running ? InstanceOutcome.Running
                    : guest.StopRequested ? InstanceOutcome.Kept(InstanceState.Stopped, null, null, null)
                    : guest.ExitCode == 0 ? InstanceOutcome.Kept(InstanceState.Stopped, 0, null, null)
                    : InstanceOutcome.Kept(InstanceState.Failed, guest.ExitCode, $"program {guest.CommandLine} returned {guest.ExitCode}", ErrorIds.GuestProgramFailed);
                return this.Describe(facts, outcome);
            }

            public OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation)
            {
                var guest = Find(name);
                if (guest.Running)
                {
                    guest.StopRequested = true;
                    guest.Stopped = DateTime.UtcNow;
                }
                return Get(name, cancellation);
            }

            public void Remove(string name, bool force, CancellationToken cancellation)
            {
                var guest = Find(name);
                if (guest.Running && !force)
                {
                    throw new OsvException(ErrorIds.InstanceRunning, OsvErrorKind.InvalidOperation, $"instance '{name}' is running on {Host}.", name);
                }
                Stop(name, TimeSpan.Zero, true, cancellation);
                guests.Remove(name);
                File.Delete(guest.ConsolePath);
            }

            public void Dispose()
            {
            }

            private FakeGuest Find(string name)
                => guests.TryGetValue(name, out var guest) ? guest
                    : throw new OsvException(ErrorIds.InstanceNotFound, OsvErrorKind.ObjectNotFound, $"there is no instance '{name}' on {Host}.", name);

            private sealed class FakePlan : StartPlan
            {
                public FakePlan(StartPlan shared, int exitCode)
                    : base(shared) => ExitCode = exitCode;

                public int ExitCode { get; }
            }

            /// <summary>A fake guest followed: each look at it is one step of its life.</summary>
            private sealed class FakeRunning : IRunningInstance
            {
                private readonly FakeEngine engine;
                private readonly FakeGuest guest;

                public FakeRunning(FakeEngine engine, FakeGuest guest)
                {
                    this.engine = engine;
                    this.guest = guest;
                }

                public string Name => guest.Name;
                public string ConsolePath => guest.ConsolePath;
                public bool HidesDebugLines => false;
                public IReadOnlyList<string> RunscriptFiles => new string[0];
                public bool StopsOnFailureLines => true;

                public bool WaitForEnd(TimeSpan wait)
                {
                    guest.Step();
                    return !guest.Running;
                }

                public IReadOnlyList<string> KernelLogLines() => new string[0];

                public OsvInstance Finish() => engine.Get(Name, CancellationToken.None);

                public void Dispose()
                {
                }
            }
        }
    }
}
