using System;
using System.Collections.Generic;
using System.Threading;
using OsvPS.Core.Models;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// What the instance cmdlets need of a way to run instances: QEMU run by OsvPS on this machine
    /// (<see cref="InstanceManager"/>) or a libvirt connection (<see cref="LibvirtEngine"/>). The
    /// instances are the same objects whatever the engine; starting differs and stays with each.
    /// </summary>
    public interface IInstanceEngine : IDisposable
    {
        IEnumerable<OsvInstance> List(CancellationToken cancellation);
        OsvInstance Get(string name, CancellationToken cancellation);
        OsvInstance Stop(string name, TimeSpan timeout, bool force, CancellationToken cancellation);
        void Remove(string name, bool force, CancellationToken cancellation);
        /// <summary>Waits while the instance runs (stopping it on one of OSv's failure lines); false when <paramref name="timeout"/> passed first.</summary>
        bool Wait(string name, TimeSpan? timeout, CancellationToken cancellation);
    }
}
