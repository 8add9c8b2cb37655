using System;
using System.Collections.Generic;
using System.IO;
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
    /// </summary>
    internal sealed class LibvirtConnection : IDisposable
    {
        // libvirt prints every error to stderr unless a handler is set; ours drops them, each call reads its own.
        private static readonly ErrorFunc Quiet = (user, error) => { };
        private static int quietSet;

        private IntPtr handle;

        private LibvirtConnection(string uri, IntPtr handle)
        {
            Uri = uri;
            this.handle = handle;
        }

        public string Uri { get; }

        internal IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(LibvirtConnection));

        public static LibvirtConnection Open(string uri)
        {
            LibvirtUri.Check(uri);
            try
            {
                if (Interlocked.Exchange(ref quietSet, 1) == 0)
                {
                    virSetErrorFunc(IntPtr.Zero, Quiet);
                }
                IntPtr connection = virConnectOpen(Utf8z(uri));
                if (connection == IntPtr.Zero)
                {
                    throw new OsvException("LibvirtConnectFailed", OsvErrorKind.ConnectionError,
                        $"could not connect to libvirt at '{uri}': {LastMessage()}", uri);
                }
                return new LibvirtConnection(uri, connection);
            }
            catch (DllNotFoundException)
            {
                throw new OsvException("LibvirtNotInstalled", OsvErrorKind.NotInstalled,
                    "libvirt's client library (libvirt.so.0) is not installed on this machine; install libvirt-clients (Debian: apt-get install libvirt-clients).", uri);
            }
        }

        internal static string LastMessage()
        {
            IntPtr message = virGetLastErrorMessage();
            return message == IntPtr.Zero ? "unknown error" : Marshal.PtrToStringAnsi(message) ?? "unknown error";
        }

        internal OsvException Failure(string what, string? target)
        {
            int code = virGetLastErrorCode();
            var kind = code == ErrNoDomain || code == ErrNoStoragePool || code == ErrNoStorageVol ? OsvErrorKind.ObjectNotFound
                : code == ErrOperationInvalid ? OsvErrorKind.InvalidOperation : OsvErrorKind.InvalidResult;
            return new OsvException("LibvirtFailed", kind, $"libvirt ({Uri}) could not {what}: {LastMessage()} (libvirt error {code})", target);
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
                free(text);
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
            return virConnectGetLibVersion(Handle, out ulong version) == 0 ? version : throw Failure("read the daemon's version", null);
        }

        /// <summary>The names of all domains, running or defined.</summary>
        public List<string> DomainNames()
        {
            int count = virConnectListAllDomains(Handle, out IntPtr array, ListDomainsAll);
            if (count < 0)
            {
                throw Failure("list domains", null);
            }
            var names = new List<string>(count);
            try
            {
                for (int i = 0; i < count; i++)
                {
                    IntPtr domain = Marshal.ReadIntPtr(array, i * IntPtr.Size);
                    names.Add(PtrToUtf8(virDomainGetName(domain)));
                    virDomainFree(domain);
                }
            }
            finally
            {
                free(array);
            }
            return names;
        }

        /// <summary>The domain of that name, or null when there is none.</summary>
        public LibvirtDomain? FindDomain(string name)
        {
            IntPtr domain = virDomainLookupByName(Handle, Utf8z(name));
            if (domain != IntPtr.Zero)
            {
                return new LibvirtDomain(this, domain, name);
            }
            if (virGetLastErrorCode() == ErrNoDomain)
            {
                return null;
            }
            throw Failure($"look up domain '{name}'", name);
        }

        public LibvirtDomain DefineDomain(string xml, string name)
        {
            IntPtr domain = virDomainDefineXML(Handle, Utf8z(xml));
            return domain != IntPtr.Zero ? new LibvirtDomain(this, domain, name) : throw Failure($"define domain '{name}'", name);
        }

        /// <summary>The storage pool of that name, or null when there is none.</summary>
        public LibvirtPool? FindPool(string name)
        {
            IntPtr pool = virStoragePoolLookupByName(Handle, Utf8z(name));
            if (pool != IntPtr.Zero)
            {
                return new LibvirtPool(this, pool, name);
            }
            if (virGetLastErrorCode() == ErrNoStoragePool)
            {
                return null;
            }
            throw Failure($"look up storage pool '{name}'", name);
        }

        public LibvirtPool DefinePool(string xml, string name)
        {
            IntPtr pool = virStoragePoolDefineXML(Handle, Utf8z(xml), 0);
            return pool != IntPtr.Zero ? new LibvirtPool(this, pool, name) : throw Failure($"define storage pool '{name}'", name);
        }

        public void Dispose()
        {
            IntPtr open = Interlocked.Exchange(ref handle, IntPtr.Zero);
            if (open != IntPtr.Zero)
            {
                virConnectClose(open);
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

        private protected abstract void Free(IntPtr open);

        public void Dispose()
        {
            IntPtr open = Interlocked.Exchange(ref handle, IntPtr.Zero);
            if (open != IntPtr.Zero)
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

        public string Xml() => LibvirtConnection.TakeString(virDomainGetXMLDesc(Handle, 0)) ?? throw Connection.Failure($"read the XML of domain '{Name}'", Name);

        /// <summary>libvirt's virDomainState: 1 running, 3 paused, 4 being shut down, 5 shut off, 6 crashed...</summary>
        public int State()
        {
            if (virDomainGetState(Handle, out int state, out _, 0) < 0)
            {
                throw Connection.Failure($"read the state of domain '{Name}'", Name);
            }
            return state;
        }

        /// <summary>True while a QEMU runs for the domain (running, paused, being shut down, suspended).</summary>
        public bool IsActive() => IsActiveState(State());

        /// <summary>True for the states in which a QEMU runs for a domain.</summary>
        public static bool IsActiveState(int state)
        {
            return state == DomainRunning || state == DomainBlocked || state == DomainPaused || state == DomainShutdown || state == DomainPmSuspended;
        }

        public void Start() => Check(virDomainCreate(Handle), "start");

        public void Shutdown() => Check(virDomainShutdown(Handle), "shut down");

        /// <summary>Stops the domain at once; a domain that already stopped is no error.</summary>
        public void Destroy()
        {
            if (virDomainDestroy(Handle) < 0 && virGetLastErrorCode() != ErrOperationInvalid)
            {
                throw Connection.Failure($"destroy domain '{Name}'", Name);
            }
        }

        public void Undefine() => Check(virDomainUndefine(Handle), "undefine");

        private void Check(int result, string what)
        {
            if (result < 0)
            {
                throw Connection.Failure($"{what} domain '{Name}'", Name);
            }
        }

        private protected override void Free(IntPtr open) => virDomainFree(open);
    }

    /// <summary>A storage pool handle.</summary>
    internal sealed class LibvirtPool : LibvirtObject
    {

        internal LibvirtPool(LibvirtConnection connection, IntPtr handle, string name)
            : base(connection, handle, name)
        {
        }

        public bool IsActive()
        {
            int active = virStoragePoolIsActive(Handle);
            return active >= 0 ? active == 1 : throw Connection.Failure($"read the state of storage pool '{Name}'", Name);
        }

        public void Build() => Check(virStoragePoolBuild(Handle, 0), "build");

        public void Start() => Check(virStoragePoolCreate(Handle, 0), "start");

        public void SetAutostart() => Check(virStoragePoolSetAutostart(Handle, 1), "mark autostart");

        /// <summary>Rescans the pool's folder, so files the host made (a console log) become volumes.</summary>
        public void Refresh() => Check(virStoragePoolRefresh(Handle, 0), "refresh");

        /// <summary>The volume of that name, or null when there is none.</summary>
        public LibvirtVolume? FindVolume(string name)
        {
            IntPtr volume = virStorageVolLookupByName(Handle, Utf8z(name));
            if (volume != IntPtr.Zero)
            {
                return new LibvirtVolume(Connection, volume, name);
            }
            if (virGetLastErrorCode() == ErrNoStorageVol)
            {
                return null;
            }
            throw Connection.Failure($"look up volume '{name}' in storage pool '{Name}'", name);
        }

        public LibvirtVolume CreateVolume(string xml, string name)
        {
            IntPtr volume = virStorageVolCreateXML(Handle, Utf8z(xml), 0);
            return volume != IntPtr.Zero ? new LibvirtVolume(Connection, volume, name) : throw Connection.Failure($"create volume '{name}' in storage pool '{Name}'", name);
        }

        private void Check(int result, string what)
        {
            if (result < 0)
            {
                throw Connection.Failure($"{what} storage pool '{Name}'", Name);
            }
        }

        private protected override void Free(IntPtr open) => virStoragePoolFree(open);
    }

    /// <summary>A storage volume handle: its path on the host, upload and download through libvirt's streams.</summary>
    internal sealed class LibvirtVolume : LibvirtObject
    {
        private const int Chunk = 1 << 20;


        internal LibvirtVolume(LibvirtConnection connection, IntPtr handle, string name)
            : base(connection, handle, name)
        {
        }

        /// <summary>The volume's file on the libvirt host.</summary>
        public string Path() => LibvirtConnection.TakeString(virStorageVolGetPath(Handle)) ?? throw Connection.Failure($"read the path of volume '{Name}'", Name);

        public void Delete()
        {
            if (virStorageVolDelete(Handle, 0) < 0)
            {
                throw Connection.Failure($"delete volume '{Name}'", Name);
            }
        }

        /// <summary>Sends <paramref name="file"/> as the volume's content through a libvirt stream (the same call serves a remote host).</summary>
        public void Upload(string file, CancellationToken cancellation)
        {
            using (var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            {
                IntPtr stream = NewStream();
                try
                {
                    if (virStorageVolUpload(Handle, stream, 0, (ulong)source.Length, 0) < 0)
                    {
                        throw Connection.Failure($"upload to volume '{Name}'", Name);
                    }
                    var buffer = new byte[Chunk];
                    int read;
                    while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        if (cancellation.IsCancellationRequested)
                        {
                            virStreamAbort(stream);
                            cancellation.ThrowIfCancellationRequested();
                        }
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
                            int n = virStreamSend(stream, data, (UIntPtr)(read - sent));
                            if (n < 0)
                            {
                                var failure = Connection.Failure($"upload to volume '{Name}'", Name);
                                virStreamAbort(stream);
                                throw failure;
                            }
                            sent += n;
                        }
                    }
                    if (virStreamFinish(stream) < 0)
                    {
                        throw Connection.Failure($"finish the upload to volume '{Name}'", Name);
                    }
                }
                finally
                {
                    virStreamFree(stream);
                }
            }
        }

        /// <summary>Appends the volume's bytes from <paramref name="offset"/> to its end to <paramref name="destination"/>; the count appended.</summary>
        public long Download(long offset, Stream destination)
        {
            IntPtr stream = NewStream();
            try
            {
                if (virStorageVolDownload(Handle, stream, (ulong)offset, 0, 0) < 0)
                {
                    throw Connection.Failure($"download volume '{Name}'", Name);
                }
                var buffer = new byte[Chunk];
                long total = 0;
                int n;
                while ((n = virStreamRecv(stream, buffer, (UIntPtr)buffer.Length)) > 0)
                {
                    destination.Write(buffer, 0, n);
                    total += n;
                }
                if (n < 0)
                {
                    var failure = Connection.Failure($"download volume '{Name}'", Name);
                    virStreamAbort(stream);
                    throw failure;
                }
                if (virStreamFinish(stream) < 0)
                {
                    throw Connection.Failure($"finish the download of volume '{Name}'", Name);
                }
                return total;
            }
            finally
            {
                virStreamFree(stream);
            }
        }

        private IntPtr NewStream()
        {
            IntPtr stream = virStreamNew(Connection.Handle, 0);
            return stream != IntPtr.Zero ? stream : throw Connection.Failure("open a stream", Name);
        }

        private protected override void Free(IntPtr open) => virStorageVolFree(open);
    }
}
