using System;
using System.Collections.Generic;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// One way to run instances: QEMU run by OsvPS on this machine (<c>Qemu/</c>) or a libvirt connection
    /// (<c>Libvirt/</c>). The cmdlets see only this seam; the instances are the same objects whatever the
    /// engine. A new engine is a folder of its own (the engine, its factory, its options) and one line in
    /// <see cref="InstanceEngines"/> naming the URI scheme it serves.
    /// </summary>
    public interface IInstanceEngine : IDisposable
    {
        /// <summary>The engine's name as instances show it (<see cref="OsvInstance.Engine"/>): <c>Qemu</c>, <c>Libvirt</c>.</summary>
        string Name { get; }

        /// <summary>The connection URI this engine was opened on; null for this machine.</summary>
        string? Connection { get; }

        /// <summary>Where this engine runs instances, for messages: <c>this machine</c> or a connection URI.</summary>
        string Host { get; }

        /// <summary>Checks a start and decides everything about it; nothing is written.</summary>
        StartPlan Plan(StartRequest request, CancellationToken cancellation);

        /// <summary>Starts a planned instance; the handle follows it until it ends.</summary>
        IRunningInstance Start(StartPlan plan, CancellationToken cancellation);

        /// <summary>A handle on an instance that is (or was) running, to follow it until it ends.</summary>
        IRunningInstance Attach(string name, CancellationToken cancellation);

        /// <summary>All instances, sorted by name; a damaged one goes to <paramref name="invalid"/> and the rest are listed.</summary>
        IEnumerable<OsvInstance> List(CancellationToken cancellation, Action<OsvException>? invalid = null);

        OsvInstance Get(string name, CancellationToken cancellation);

        /// <summary>An ACPI power-down, then after <paramref name="timeout"/> a hard stop; <paramref name="force"/> stops at once.</summary>
        OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation);

        /// <summary>Removes a stopped instance (a running one only with <paramref name="force"/>, stopped first).</summary>
        void Remove(string name, bool force, CancellationToken cancellation);
    }

    /// <summary>A running instance being followed: its console, and whether it has ended.</summary>
    public interface IRunningInstance : IDisposable
    {
        string Name { get; }

        /// <summary>A local file holding the console so far (brought up to date by <see cref="WaitForEnd"/>).</summary>
        string ConsolePath { get; }

        /// <summary>True when OsvPS turned OSv's debug lines on for this run, so they are kept from the reader.</summary>
        bool HidesDebugLines { get; }

        /// <summary>The /run files the run's command line names, whose echo OSv prints once each (kept from the reader).</summary>
        IReadOnlyList<string> RunscriptFiles { get; }

        /// <summary>
        /// True when the end of the run is judged from the console, so a failure line of OSv's stops the guest; false when
        /// the engine reads OSv's kernel log, which a program cannot write: the guest then powers off by itself
        /// (--power-off-on-abort) and no line a program prints can stop it.
        /// </summary>
        bool StopsOnFailureLines { get; }

        /// <summary>Brings the console up to date and waits up to <paramref name="wait"/> for the end; true once it has ended.</summary>
        bool WaitForEnd(TimeSpan wait);

        /// <summary>After the end: OSv's kernel log of the run, when the engine read it (else none), for -Verbose.</summary>
        IReadOnlyList<string> KernelLogLines();

        /// <summary>After the end: records how it ended and returns the instance.</summary>
        OsvInstance Finish();
    }
}

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// An engine that can hand what reaches a running instance to another running instance of its own (a rolling replace,
    /// Update-OsvInstance): its forwards (QEMU's user networking: the monitor closes a forward's listener and opens one at
    /// run time) and, on an OsvPS network, its name.
    /// </summary>
    public interface IInstanceHandOver
    {
        /// <summary>
        /// Moves each of <paramref name="forwards"/> from instance <paramref name="from"/> to instance <paramref name="to"/>,
        /// where the forward of <paramref name="temporary"/> with the same guest port is closed first, then, on an OsvPS
        /// network, makes the name of <paramref name="from"/> resolve to the address of <paramref name="to"/>. Returns, for
        /// each forward moved, how long its host port had no listener. A forward that cannot be opened on
        /// <paramref name="to"/> is given back to <paramref name="from"/> (and those moved before it too) and the move fails.
        /// </summary>
        IReadOnlyList<TimeSpan> HandOver(string from, string to, IReadOnlyList<OsvPS.Core.Qemu.PortForward> forwards, IReadOnlyList<OsvPS.Core.Qemu.PortForward> temporary, CancellationToken cancellation);
    }
}
