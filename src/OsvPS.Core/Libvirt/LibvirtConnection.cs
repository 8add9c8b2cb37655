using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;
using OsvPS.Core.Errors;
using static OsvPS.Core.Libvirt.LibvirtNative;

namespace OsvPS.Core.Libvirt
{
    /// <summary>
    /// One open libvirt connection and the objects OsvPS looks up through it. A failed call becomes an
    /// <see cref="OsvException"/> carrying libvirt's own message; the id is <c>LibvirtFailed</c> (or
    /// <c>LibvirtConnectFailed</c>, <c>LibvirtNotInstalled</c>), so runbooks can tell them apart.
    /// Every call that talks to the daemon goes through <see cref="Call{T}"/>, which bounds it: a daemon
    /// that does not answer (stopped, or stuck in its own QEMU probe) gives <c>LibvirtTimeout</c> naming
    /// the call and the seconds, and every later call on the connection fails at once the same way.
    /// </summary>
    internal sealed class LibvirtConnection : IDisposable
    {
        // libvirt prints every error to stderr unless a handler is set; ours drops them, each call reads its own.
        private static readonly ErrorFunc Quiet = (user, error) => { };
        private static int quietSet;

        private IntPtr handle;
        // The call that did not answer in time; once set, the connection is not used again.
        private volatile string? stuck;

        private LibvirtConnection(string uri, IntPtr handle, TimeSpan deadline)
        {
            Uri = uri;
            this.handle = handle;
            Deadline = deadline;
        }

        public string Uri { get; }

        /// <summary>How long one call may wait for the daemon.</summary>
        public TimeSpan Deadline { get; }

        /// <summary>
        /// True once a call did not answer in time. That call may still be running on its thread, using the handles it
        /// was given: they are then never freed (a free would pull them from under it), only left to the process's end.
        /// </summary>
        internal bool IsStuck => stuck != null;

        internal IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(LibvirtConnection));

        /// <summary>Opens <paramref name="uri"/>; each call on it may wait <paramref name="deadline"/> (default: <see cref="LibvirtDeadline.Default"/>).</summary>
        public static LibvirtConnection Open(string uri, TimeSpan? deadline = null)
        {
            LibvirtUri.Check(uri);
            TimeSpan limit = deadline ?? LibvirtDeadline.Default;
            try
            {
                if (Interlocked.Exchange(ref quietSet, 1) == 0)
                {
                    virSetErrorFunc(IntPtr.Zero, Quiet);
                }
                var reply = Bounded(uri, limit, "connect", uri, () => virConnectOpen(Utf8z(uri)));
                if (reply.Value == IntPtr.Zero)
                {
                    throw new OsvException(ErrorIds.LibvirtConnectFailed, OsvErrorKind.ConnectionError,
                        $"could not connect to libvirt at '{uri}': {reply.Message}", uri);
                }
                return new LibvirtConnection(uri, reply.Value, limit);
            }
            catch (DllNotFoundException)
            {
                throw new OsvException(ErrorIds.LibvirtNotInstalled, OsvErrorKind.NotInstalled,
                    "libvirt's client library (libvirt.so.0) is not installed on this machine; install libvirt-clients (Debian: apt-get install libvirt-clients).", uri);
            }
        }

        /// <summary>
        /// Runs one call of libvirt's C API that may wait for the daemon, on a thread of its own, and waits at most
        /// <see cref="Deadline"/> for it. libvirt keeps its last error per thread, so the error is read there too.
        /// A call that did not answer is left behind on its (background) thread, and the connection is not used again.
        /// </summary>
        internal LibvirtReply<T> Call<T>(string what, string? target, Func<T> native)
        {
            string? earlier = stuck;
            if (earlier != null)
            {
                throw new OsvException(ErrorIds.LibvirtTimeout, OsvErrorKind.OperationTimeout,
                    $"libvirt ({Uri}) did not answer an earlier call ({earlier}) within {Seconds(Deadline)} s, so OsvPS will not {what} on this connection; check the daemon (systemctl status libvirtd), then try again.", target);
            }
            try
            {
                return Bounded(Uri, Deadline, what, target, native);
            }
            catch (OsvException e) when (e.ErrorId == ErrorIds.LibvirtTimeout)
            {
                stuck = what;
                throw;
            }
        }

        private static LibvirtReply<T> Bounded<T>(string uri, TimeSpan deadline, string what, string? target, Func<T> native)
        {
            var reply = new LibvirtReply<T>();
            var done = new ManualResetEventSlim(false);
            var thread = new Thread(() =>
            {
                try
                {
                    reply.Value = native();
                    reply.Code = virGetLastErrorCode();
                    reply.Message = reply.Code != 0 ? LastMessage() : string.Empty;
                }
                catch (Exception e)
                {
                    reply.Failure = ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    done.Set();
                }
            }, 256 * 1024)
            {
                IsBackground = true,
                Name = "libvirt: " + what,
            };
            thread.Start();
            if (!done.Wait(deadline))
            {
                throw new OsvException(ErrorIds.LibvirtTimeout, OsvErrorKind.OperationTimeout,
                    $"libvirt ({uri}) did not answer within {Seconds(deadline)} s when asked to {what}; the daemon may be stopped or busy (OSVPS_LIBVIRT_TIMEOUT sets the deadline in seconds).", target);
            }
            done.Dispose();
            reply.Failure?.Throw();
            return reply;
        }

        private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

        private static string LastMessage()
        {
            IntPtr message = virGetLastErrorMessage();
            return message == IntPtr.Zero ? "unknown error" : Marshal.PtrToStringAnsi(message) ?? "unknown error";
        }

        internal OsvException Failure<T>(string what, string? target, LibvirtReply<T> reply)
        {
            int code = reply.Code;
            var kind = code == ErrNoDomain || code == ErrNoNetwork || code == ErrNoStoragePool || code == ErrNoStorageVol ? OsvErrorKind.ObjectNotFound
                : code == ErrOperationInvalid ? OsvErrorKind.InvalidOperation : OsvErrorKind.InvalidResult;
            return new OsvException(ErrorIds.LibvirtFailed, kind, $"libvirt ({Uri}) could not {what}: {reply.Message} (libvirt error {code})", target);
        }

        /// <summary>Runs a call whose int result is negative on failure, and throws libvirt's error for it.</summary>
        internal int Check(string what, string? target, Func<int> native)
        {
            var reply = Call(what, target, native);
            return reply.Value >= 0 ? reply.Value : throw Failure(what, target, reply);
        }

        /// <summary>A string libvirt allocated for us, freed once read.</summary>
        internal static string? TakeString(IntPtr text)
        {
            if (text == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                return PtrToUtf8(text);
            }
            finally
            {
                IO.Libc.Free(text);
            }
        }

        internal static string PtrToUtf8(IntPtr text)
        {
            int length = 0;
            while (Marshal.ReadByte(text, length) != 0)
            {
                length++;
            }
            var bytes = new byte[length];
            Marshal.Copy(text, bytes, 0, length);
            return System.Text.Encoding.UTF8.GetString(bytes);
        }

        /// <summary>The libvirt version of the daemon at the other end, as major * 1,000,000 + minor * 1,000 + release.</summary>
        public ulong DaemonVersion()
        {
            const string what = "read the daemon's version";
            var reply = Call(what, null, () => virConnectGetLibVersion(Handle, out ulong version) == 0 ? version : ulong.MaxValue);
            return reply.Value != ulong.MaxValue ? reply.Value : throw Failure(what, null, reply);
        }

        /// <summary>The names of all domains, running or defined.</summary>
        public List<string> DomainNames()
            => ListNames("list domains", (IntPtr conn, out IntPtr array) => virConnectListAllDomains(conn, out array, ListDomainsAll), virDomainGetName, virDomainFree);

        /// <summary>The names of all networks, active or defined.</summary>
        public List<string> NetworkNames()
            => ListNames("list networks", (IntPtr conn, out IntPtr array) => virConnectListAllNetworks(conn, out array, 0), virNetworkGetName, virNetworkFree);

        private delegate int ListAll(IntPtr conn, out IntPtr array);

        // virConnectListAll*: an array of handles, each freed after its name is read, then the array.
        private List<string> ListNames(string what, ListAll list, Func<IntPtr, IntPtr> getName, Func<IntPtr, int> free)
        {
            var reply = Call(what, null, () =>
            {
                int count = list(Handle, out IntPtr array);
                if (count < 0)
                {
                    return null;
                }
                var names = new List<string>(count);
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        IntPtr item = Marshal.ReadIntPtr(array, i * IntPtr.Size);
                        names.Add(PtrToUtf8(getName(item)));
                        free(item);
                    }
                }
                finally
                {
                    IO.Libc.Free(array);
                }
                return names;
            });
            return reply.Value ?? throw Failure(what, null, reply);
        }

        // A virXLookupByName: the object, or null when libvirt says there is none (<paramref name="missing"/>).
        private T? Lookup<T>(string what, string name, Func<IntPtr, byte[], IntPtr> lookup, int missing, Func<IntPtr, T> make)
            where T : class
        {
            var reply = Call(what, name, () => lookup(Handle, Utf8z(name)));
            if (reply.Value != IntPtr.Zero)
            {
                return make(reply.Value);
            }
            return reply.Code == missing ? null : throw Failure(what, name, reply);
        }

        /// <summary>The domain of that name, or null when there is none.</summary>
        public LibvirtDomain? FindDomain(string name)
            => Lookup($"look up domain '{name}'", name, virDomainLookupByName, ErrNoDomain, h => new LibvirtDomain(this, h, name));

        public LibvirtDomain DefineDomain(string xml, string name)
        {
            string what = $"define domain '{name}'";
            var reply = Call(what, name, () => virDomainDefineXML(Handle, Utf8z(xml)));
            return reply.Value != IntPtr.Zero ? new LibvirtDomain(this, reply.Value, name) : throw Failure(what, name, reply);
        }

        /// <summary>The storage pool of that name, or null when there is none.</summary>
        public LibvirtPool? FindPool(string name)
            => Lookup($"look up storage pool '{name}'", name, virStoragePoolLookupByName, ErrNoStoragePool, h => new LibvirtPool(this, h, name));

        public LibvirtPool DefinePool(string xml, string name)
        {
            string what = $"define storage pool '{name}'";
            var reply = Call(what, name, () => virStoragePoolDefineXML(Handle, Utf8z(xml), 0));
            return reply.Value != IntPtr.Zero ? new LibvirtPool(this, reply.Value, name) : throw Failure(what, name, reply);
        }

        /// <summary>The network of that name, or null when there is none.</summary>
        public LibvirtNetwork? FindNetwork(string name)
            => Lookup($"look up network '{name}'", name, virNetworkLookupByName, ErrNoNetwork, h => new LibvirtNetwork(this, h, name));

        /// <summary>Defines a persistent network (not started).</summary>
        public LibvirtNetwork DefineNetwork(string xml, string name)
        {
            string what = $"define network '{name}'";
            var reply = Call(what, name, () => virNetworkDefineXML(Handle, Utf8z(xml)));
            return reply.Value != IntPtr.Zero ? new LibvirtNetwork(this, reply.Value, name) : throw Failure(what, name, reply);
        }

        /// <summary>Closes the connection; one whose daemon stopped answering is left as it is (closing it would wait too).</summary>
        public void Dispose()
        {
            IntPtr open = Interlocked.Exchange(ref handle, IntPtr.Zero);
            if (open != IntPtr.Zero && stuck == null)
            {
                try
                {
                    Bounded(Uri, Deadline, "close the connection", null, () => virConnectClose(open));
                }
                catch (OsvException)
                {
                    // A close that does not answer in time is given up; nothing waits for it.
                }
            }
        }
    }

    /// <summary>What one bounded libvirt call returned, with libvirt's error as its own thread saw it.</summary>
    internal sealed class LibvirtReply<T>
    {
        public T Value { get; set; } = default!;
        /// <summary>libvirt's virErrorNumber after the call (0: none).</summary>
        public int Code { get; set; }
        public string Message { get; set; } = string.Empty;
        internal ExceptionDispatchInfo? Failure { get; set; }
    }

    /// <summary>How long OsvPS waits for one libvirt call.</summary>
    internal static class LibvirtDeadline
    {
        /// <summary>60 s, or <c>OSVPS_LIBVIRT_TIMEOUT</c> seconds (1 to 3600) when set.</summary>
        public static TimeSpan Default
        {
            get
            {
                string? text = Environment.GetEnvironmentVariable("OSVPS_LIBVIRT_TIMEOUT");
                return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds)
                    && seconds >= 1 && seconds <= 3600
                    ? TimeSpan.FromSeconds(seconds)
                    : TimeSpan.FromSeconds(60);
            }
        }
    }

    /// <summary>A handle to one libvirt object (domain, pool, volume), freed once on dispose.</summary>
    internal abstract class LibvirtObject : IDisposable
    {
        private IntPtr handle;

        private protected LibvirtObject(LibvirtConnection connection, IntPtr handle, string name)
        {
            Connection = connection;
            this.handle = handle;
            Name = name;
        }

        public string Name { get; }

        private protected LibvirtConnection Connection { get; }

        private protected IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(GetType().Name);

        // virXGetXMLDesc: the object's XML, freed once read.
        private protected string ReadXml(string noun, Func<IntPtr, uint, IntPtr> native)
        {
            string what = $"read the XML of {noun} '{Name}'";
            var reply = Connection.Call(what, Name, () => LibvirtConnection.TakeString(native(Handle, 0)));
            return reply.Value ?? throw Connection.Failure(what, Name, reply);
        }

        // virXDestroy: an object that is not running (libvirt's "operation invalid") is no error.
        private protected void StopQuietly(string what, Func<IntPtr, int> native)
        {
            var reply = Connection.Call(what, Name, () => native(Handle));
            if (reply.Value < 0 && reply.Code != ErrOperationInvalid)
            {
                throw Connection.Failure(what, Name, reply);
            }
        }

        // Freeing a handle only drops libvirt's reference in this process; it never waits for the daemon.
        private protected abstract void Free(IntPtr open);

        public void Dispose()
        {
            IntPtr open = Interlocked.Exchange(ref handle, IntPtr.Zero);
            if (open != IntPtr.Zero && !Connection.IsStuck)
            {
                Free(open);
            }
        }
    }

    /// <summary>A domain handle.</summary>
    internal sealed class LibvirtDomain : LibvirtObject
    {
        internal LibvirtDomain(LibvirtConnection connection, IntPtr handle, string name)
            : base(connection, handle, name)
        {
        }

        public string Xml() => ReadXml("domain", virDomainGetXMLDesc);

        /// <summary>libvirt's virDomainState: 1 running, 3 paused, 4 being shut down, 5 shut off, 6 crashed...</summary>
        public int State()
        {
            string what = $"read the state of domain '{Name}'";
            var reply = Connection.Call(what, Name, () => virDomainGetState(Handle, out int state, out _, 0) < 0 ? -1 : state);
            return reply.Value >= 0 ? reply.Value : throw Connection.Failure(what, Name, reply);
        }

        /// <summary>libvirt's state with its reason (for a shut-off domain: 1 shut down by the guest, 2 destroyed, 3 crashed...).</summary>
        public (int State, int Reason) StateAndReason()
        {
            string what = $"read the state of domain '{Name}'";
            var reply = Connection.Call(what, Name, () => virDomainGetState(Handle, out int state, out int reason, 0) < 0 ? (-1, 0) : (state, reason));
            return reply.Value.Item1 >= 0 ? reply.Value : throw Connection.Failure(what, Name, reply);
        }

        /// <summary>True while a QEMU runs for the domain (running, paused, being shut down, suspended).</summary>
        public bool IsActive() => IsActiveState(State());

        /// <summary>True for the states in which a QEMU runs for a domain.</summary>
        public static bool IsActiveState(int state)
        {
            return state == DomainRunning || state == DomainBlocked || state == DomainPaused || state == DomainShutdown || state == DomainPmSuspended;
        }

        public void Start() => Connection.Check($"start domain '{Name}'", Name, () => virDomainCreate(Handle));

        public void Shutdown() => Connection.Check($"shut down domain '{Name}'", Name, () => virDomainShutdown(Handle));

        /// <summary>Stops the domain at once; a domain that already stopped is no error.</summary>
        public void Destroy()
            => StopQuietly($"destroy domain '{Name}'", virDomainDestroy);

        public void Undefine() => Connection.Check($"undefine domain '{Name}'", Name, () => virDomainUndefine(Handle));

        /// <summary>
        /// A command of QEMU's human monitor (<c>info registers -a</c>) run through libvirt, or null when libvirt refuses it
        /// (libvirt marks the domain "custom-monitor" tainted in its log: OsvPS only reads with it).
        /// </summary>
        public string? HumanMonitor(string command)
        {
            byte[] text = System.Text.Encoding.UTF8.GetBytes(command + "\0");
            var reply = Connection.Call($"ask the monitor of domain '{Name}'", Name,
                () => virDomainQemuMonitorCommand(Handle, text, out IntPtr result, QemuMonitorCommandHmp) < 0 ? null : LibvirtConnection.TakeString(result));
            return reply.Value;
        }

        /// <summary>
        /// <paramref name="size"/> bytes of the running guest's memory from physical address <paramref name="start"/>,
        /// read in pieces of at most <see cref="MemoryPeekMax"/> (libvirt's QEMU driver saves them with QMP pmemsave).
        /// </summary>
        public byte[] PeekPhysical(ulong start, int size)
        {
            var result = new byte[size];
            for (int done = 0; done < size;)
            {
                int part = Math.Min(MemoryPeekMax, size - done);
                var piece = new byte[part];
                ulong at = start + (ulong)done;
                Connection.Check($"read the memory of domain '{Name}'", Name, () => virDomainMemoryPeek(Handle, at, (UIntPtr)part, piece, MemoryPhysical));
                Buffer.BlockCopy(piece, 0, result, done, part);
                done += part;
            }
            return result;
        }

        private protected override void Free(IntPtr open) => virDomainFree(open);
    }

    /// <summary>A network handle: its XML, its state, and changes to its DHCP and DNS host records.</summary>
    internal sealed class LibvirtNetwork : LibvirtObject
    {
        internal LibvirtNetwork(LibvirtConnection connection, IntPtr handle, string name)
            : base(connection, handle, name)
        {
        }

        public string Xml() => ReadXml("network", virNetworkGetXMLDesc);

        public bool IsActive() => Connection.Check($"read the state of network '{Name}'", Name, () => virNetworkIsActive(Handle)) == 1;

        /// <summary>The addresses libvirt's dnsmasq has leased on the network (DHCP ranges), as text.</summary>
        public List<string> LeasedAddresses()
        {
            string what = $"read the DHCP leases of network '{Name}'";
            var reply = Connection.Call(what, Name, () =>
            {
                int count = virNetworkGetDHCPLeases(Handle, IntPtr.Zero, out IntPtr array, 0);
                if (count < 0)
                {
                    return null;
                }
                var addresses = new List<string>(count);
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        IntPtr lease = Marshal.ReadIntPtr(array, i * IntPtr.Size);
                        var fields = Marshal.PtrToStructure<NetworkDhcpLease>(lease);
                        if (fields.IpAddr != IntPtr.Zero)
                        {
                            addresses.Add(LibvirtConnection.PtrToUtf8(fields.IpAddr));
                        }
                        virNetworkDHCPLeaseFree(lease);
                    }
                }
                finally
                {
                    IO.Libc.Free(array);
                }
                return addresses;
            });
            return reply.Value ?? throw Connection.Failure(what, Name, reply);
        }

        public void Start() => Connection.Check($"start network '{Name}'", Name, () => virNetworkCreate(Handle));

        public void SetAutostart() => Connection.Check($"mark autostart network '{Name}'", Name, () => virNetworkSetAutostart(Handle, 1));

        /// <summary>Stops the network (its bridge and dnsmasq go); one that is not running is no error.</summary>
        public void Destroy()
            => StopQuietly($"destroy network '{Name}'", virNetworkDestroy);

        public void Undefine() => Connection.Check($"undefine network '{Name}'", Name, () => virNetworkUndefine(Handle));

        /// <summary>True for a defined network (virsh net-define); false for a transient one (virsh net-create), which has no config.</summary>
        public bool IsPersistent() => Connection.Check($"read whether network '{Name}' is persistent", Name, () => virNetworkIsPersistent(Handle)) == 1;

        /// <summary>
        /// Adds (<paramref name="add"/>) or deletes one record of a section (<see cref="NetworkSectionDnsHost"/>,
        /// <see cref="NetworkSectionIpDhcpHost"/>) in the running network (<paramref name="live"/>) and in its config (<paramref name="persistent"/>).
        /// </summary>
        public void Update(bool add, uint section, string xml, bool live, bool persistent)
        {
            string what = $"{(add ? "add" : "delete")} {xml} {(add ? "to" : "from")} network '{Name}'";
            uint flags = (persistent ? NetworkUpdateConfig : 0) | (live ? NetworkUpdateLive : 0);
            Connection.Check(what, Name, () => virNetworkUpdate(Handle, add ? NetworkUpdateAddLast : NetworkUpdateDelete, section, -1, Utf8z(xml), flags));
        }

        private protected override void Free(IntPtr open) => virNetworkFree(open);
    }

    /// <summary>A storage pool handle.</summary>
    internal sealed class LibvirtPool : LibvirtObject
    {
        internal LibvirtPool(LibvirtConnection connection, IntPtr handle, string name)
            : base(connection, handle, name)
        {
        }

        public bool IsActive() => Connection.Check($"read the state of storage pool '{Name}'", Name, () => virStoragePoolIsActive(Handle)) == 1;

        public void Build() => Connection.Check($"build storage pool '{Name}'", Name, () => virStoragePoolBuild(Handle, 0));

        public void Start() => Connection.Check($"start storage pool '{Name}'", Name, () => virStoragePoolCreate(Handle, 0));

        public void SetAutostart() => Connection.Check($"mark autostart storage pool '{Name}'", Name, () => virStoragePoolSetAutostart(Handle, 1));

        /// <summary>Rescans the pool's folder, so files the host made (a console log) become volumes.</summary>
        public void Refresh() => Connection.Check($"refresh storage pool '{Name}'", Name, () => virStoragePoolRefresh(Handle, 0));

        /// <summary>The volume of that name, or null when there is none.</summary>
        public LibvirtVolume? FindVolume(string name)
        {
            string what = $"look up volume '{name}' in storage pool '{Name}'";
            var reply = Connection.Call(what, name, () => virStorageVolLookupByName(Handle, Utf8z(name)));
            if (reply.Value != IntPtr.Zero)
            {
                return new LibvirtVolume(Connection, reply.Value, name);
            }
            return reply.Code == ErrNoStorageVol ? null : throw Connection.Failure(what, name, reply);
        }

        public LibvirtVolume CreateVolume(string xml, string name)
        {
            string what = $"create volume '{name}' in storage pool '{Name}'";
            var reply = Connection.Call(what, name, () => virStorageVolCreateXML(Handle, Utf8z(xml), 0));
            return reply.Value != IntPtr.Zero ? new LibvirtVolume(Connection, reply.Value, name) : throw Connection.Failure(what, name, reply);
        }

        private protected override void Free(IntPtr open) => virStoragePoolFree(open);
    }

    /// <summary>
    /// A storage volume handle: its path on the host, upload and download through libvirt's streams. Each
    /// stream call is bounded on its own, so a transfer may take as long as it needs while it moves.
    /// </summary>
    internal sealed class LibvirtVolume : LibvirtObject
    {
        private const int Chunk = 1 << 20;

        internal LibvirtVolume(LibvirtConnection connection, IntPtr handle, string name)
            : base(connection, handle, name)
        {
        }

        /// <summary>The volume's file on the libvirt host.</summary>
        public string Path()
        {
            string what = $"read the path of volume '{Name}'";
            var reply = Connection.Call(what, Name, () => LibvirtConnection.TakeString(virStorageVolGetPath(Handle)));
            return reply.Value ?? throw Connection.Failure(what, Name, reply);
        }

        public void Delete() => Connection.Check($"delete volume '{Name}'", Name, () => virStorageVolDelete(Handle, 0));

        /// <summary>Sends <paramref name="file"/> as the volume's content through a libvirt stream (the same call serves a remote host).</summary>
        public void Upload(string file, CancellationToken cancellation)
        {
            using (var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            {
                IntPtr stream = NewStream();
                bool finished = false;
                try
                {
                    long length = source.Length;
                    Connection.Check($"upload to volume '{Name}'", Name, () => virStorageVolUpload(Handle, stream, 0, (ulong)length, 0));
                    var buffer = new byte[Chunk];
                    int read;
                    while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        int sent = 0;
                        while (sent < read)
                        {
                            byte[] data = buffer;
                            if (sent > 0)
                            {
                                // virStreamSend takes the start of an array: the rest of a partly sent chunk goes in a copy.
                                var piece = new byte[read - sent];
                                Buffer.BlockCopy(buffer, sent, piece, 0, piece.Length);
                                data = piece;
                            }
                            int count = read - sent;
                            sent += Connection.Check($"upload to volume '{Name}'", Name, () => virStreamSend(stream, data, (UIntPtr)count));
                        }
                    }
                    Connection.Check($"finish the upload to volume '{Name}'", Name, () => virStreamFinish(stream));
                    finished = true;
                }
                finally
                {
                    if (!finished)
                    {
                        Abort(stream);
                    }
                    if (!Connection.IsStuck)
                    {
                        virStreamFree(stream);
                    }
                }
            }
        }

        /// <summary>Appends the volume's bytes from <paramref name="offset"/> to its end to <paramref name="destination"/>; the count appended.</summary>
        public long Download(long offset, Stream destination)
        {
            IntPtr stream = NewStream();
            bool finished = false;
            try
            {
                Connection.Check($"download volume '{Name}'", Name, () => virStorageVolDownload(Handle, stream, (ulong)offset, 0, 0));
                var buffer = new byte[Chunk];
                long total = 0;
                int n;
                while ((n = Connection.Check($"download volume '{Name}'", Name, () => virStreamRecv(stream, buffer, (UIntPtr)buffer.Length))) > 0)
                {
                    destination.Write(buffer, 0, n);
                    total += n;
                }
                Connection.Check($"finish the download of volume '{Name}'", Name, () => virStreamFinish(stream));
                finished = true;
                return total;
            }
            finally
            {
                if (!finished)
                {
                    Abort(stream);
                }
                if (!Connection.IsStuck)
                {
                    virStreamFree(stream);
                }
            }
        }

        // Tells the daemon the transfer is off; a connection that stopped answering is not asked.
        private void Abort(IntPtr stream)
        {
            try
            {
                Connection.Call($"abort the transfer of volume '{Name}'", Name, () => virStreamAbort(stream));
            }
            catch (OsvException)
            {
                // The transfer's own failure is the one to report.
            }
        }

        private IntPtr NewStream()
        {
            string what = "open a stream";
            var reply = Connection.Call(what, Name, () => virStreamNew(Connection.Handle, 0));
            return reply.Value != IntPtr.Zero ? reply.Value : throw Connection.Failure(what, Name, reply);
        }

        private protected override void Free(IntPtr open) => virStorageVolFree(open);
    }
}
