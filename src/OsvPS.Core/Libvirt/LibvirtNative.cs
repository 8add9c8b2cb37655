using System;
using System.Runtime.InteropServices;

namespace OsvPS.Core.Libvirt
{
    /// <summary>
    /// The parts of libvirt's C API (libvirt.so.0) OsvPS uses. Every handle is an opaque pointer; strings go in as UTF-8 ending in NUL, and strings
    /// libvirt returns for the caller to free are freed with libc's free (IO.Libc.Free).
    /// </summary>
    internal static class LibvirtNative
    {
        private const string Lib = "libvirt.so.0";

        // virErrorNumber values OsvPS tells apart (include/libvirt/virterror.h).
        public const int ErrNoDomain = 42;
        public const int ErrNoNetwork = 43;
        public const int ErrNoStoragePool = 49;
        public const int ErrNoStorageVol = 50;
        public const int ErrOperationInvalid = 55;

        // virDomainState
        public const int DomainRunning = 1, DomainBlocked = 2, DomainPaused = 3, DomainShutdown = 4, DomainShutoff = 5, DomainCrashed = 6, DomainPmSuspended = 7;

        // virDomainShutoffReason
        public const int ShutoffShutdown = 1, ShutoffDestroyed = 2, ShutoffCrashed = 3;

        public const uint ListDomainsAll = 0;

        // virDomainMemoryFlags: addresses are the guest's physical ones.
        public const uint MemoryPhysical = 2;
        // The most one virDomainMemoryPeek may ask for over libvirt's remote protocol (REMOTE_DOMAIN_MEMORY_PEEK_BUFFER_MAX).
        public const int MemoryPeekMax = 65536;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void ErrorFunc(IntPtr userData, IntPtr error);

        [DllImport(Lib)] public static extern void virSetErrorFunc(IntPtr userData, ErrorFunc handler);
        [DllImport(Lib)] public static extern int virGetLastErrorCode();
        [DllImport(Lib)] public static extern IntPtr virGetLastErrorMessage();

        [DllImport(Lib)] public static extern IntPtr virConnectOpen(byte[] name);
        [DllImport(Lib)] public static extern int virConnectClose(IntPtr conn);
        [DllImport(Lib)] public static extern int virConnectGetLibVersion(IntPtr conn, out ulong version);

        [DllImport(Lib)] public static extern int virConnectListAllDomains(IntPtr conn, out IntPtr domains, uint flags);
        [DllImport(Lib)] public static extern IntPtr virDomainLookupByName(IntPtr conn, byte[] name);
        [DllImport(Lib)] public static extern IntPtr virDomainDefineXML(IntPtr conn, byte[] xml);
        [DllImport(Lib)] public static extern IntPtr virDomainGetName(IntPtr domain);
        [DllImport(Lib)] public static extern IntPtr virDomainGetXMLDesc(IntPtr domain, uint flags);
        [DllImport(Lib)] public static extern int virDomainGetState(IntPtr domain, out int state, out int reason, uint flags);
        // libvirt-qemu.so.0: QEMU's own monitor through libvirt (HMP text with this flag).
        public const uint QemuMonitorCommandHmp = 1;
        [DllImport("libvirt-qemu.so.0")] public static extern int virDomainQemuMonitorCommand(IntPtr domain, byte[] command, out IntPtr result, uint flags);
        [DllImport(Lib)] public static extern int virDomainMemoryPeek(IntPtr domain, ulong start, UIntPtr size, byte[] buffer, uint flags);
        [DllImport(Lib)] public static extern int virDomainCreate(IntPtr domain);
        [DllImport(Lib)] public static extern int virDomainShutdown(IntPtr domain);
        [DllImport(Lib)] public static extern int virDomainDestroy(IntPtr domain);
        [DllImport(Lib)] public static extern int virDomainUndefine(IntPtr domain);
        [DllImport(Lib)] public static extern int virDomainFree(IntPtr domain);

        [DllImport(Lib)] public static extern IntPtr virStoragePoolLookupByName(IntPtr conn, byte[] name);
        [DllImport(Lib)] public static extern IntPtr virStoragePoolDefineXML(IntPtr conn, byte[] xml, uint flags);
        [DllImport(Lib)] public static extern int virStoragePoolBuild(IntPtr pool, uint flags);
        [DllImport(Lib)] public static extern int virStoragePoolCreate(IntPtr pool, uint flags);
        [DllImport(Lib)] public static extern int virStoragePoolSetAutostart(IntPtr pool, int autostart);
        [DllImport(Lib)] public static extern int virStoragePoolIsActive(IntPtr pool);
        [DllImport(Lib)] public static extern int virStoragePoolRefresh(IntPtr pool, uint flags);
        [DllImport(Lib)] public static extern int virStoragePoolFree(IntPtr pool);

        [DllImport(Lib)] public static extern IntPtr virStorageVolLookupByName(IntPtr pool, byte[] name);
        [DllImport(Lib)] public static extern IntPtr virStorageVolCreateXML(IntPtr pool, byte[] xml, uint flags);
        [DllImport(Lib)] public static extern IntPtr virStorageVolGetPath(IntPtr volume);
        [DllImport(Lib)] public static extern int virStorageVolDelete(IntPtr volume, uint flags);
        [DllImport(Lib)] public static extern int virStorageVolUpload(IntPtr volume, IntPtr stream, ulong offset, ulong length, uint flags);
        [DllImport(Lib)] public static extern int virStorageVolDownload(IntPtr volume, IntPtr stream, ulong offset, ulong length, uint flags);
        [DllImport(Lib)] public static extern int virStorageVolFree(IntPtr volume);

        // virNetworkUpdateCommand, virNetworkUpdateSection and virNetworkUpdateFlags (include/libvirt/libvirt-network.h).
        public const uint NetworkUpdateDelete = 2, NetworkUpdateAddLast = 3;
        public const uint NetworkSectionIpDhcpHost = 4, NetworkSectionDnsHost = 10;
        public const uint NetworkUpdateLive = 1, NetworkUpdateConfig = 2;

        [DllImport(Lib)] public static extern int virConnectListAllNetworks(IntPtr conn, out IntPtr networks, uint flags);
        [DllImport(Lib)] public static extern IntPtr virNetworkLookupByName(IntPtr conn, byte[] name);
        [DllImport(Lib)] public static extern IntPtr virNetworkDefineXML(IntPtr conn, byte[] xml);
        [DllImport(Lib)] public static extern IntPtr virNetworkGetName(IntPtr network);
        [DllImport(Lib)] public static extern IntPtr virNetworkGetXMLDesc(IntPtr network, uint flags);
        [DllImport(Lib)] public static extern int virNetworkIsActive(IntPtr network);
        [DllImport(Lib)] public static extern int virNetworkIsPersistent(IntPtr network);
        [DllImport(Lib)] public static extern int virNetworkCreate(IntPtr network);
        [DllImport(Lib)] public static extern int virNetworkSetAutostart(IntPtr network, int autostart);
        [DllImport(Lib)] public static extern int virNetworkUpdate(IntPtr network, uint command, uint section, int parentIndex, byte[] xml, uint flags);
        [DllImport(Lib)] public static extern int virNetworkDestroy(IntPtr network);
        [DllImport(Lib)] public static extern int virNetworkUndefine(IntPtr network);
        [DllImport(Lib)] public static extern int virNetworkFree(IntPtr network);

        /// <summary>virNetworkDHCPLease (include/libvirt/libvirt-network.h): one lease libvirt's dnsmasq handed out.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct NetworkDhcpLease
        {
            public IntPtr Iface;
            public long ExpiryTime;
            public int Type;
            public IntPtr Mac;
            public IntPtr Iaid;
            public IntPtr IpAddr;
            public uint Prefix;
            public IntPtr Hostname;
            public IntPtr ClientId;
        }

        [DllImport(Lib)] public static extern int virNetworkGetDHCPLeases(IntPtr network, IntPtr mac, out IntPtr leases, uint flags);
        [DllImport(Lib)] public static extern void virNetworkDHCPLeaseFree(IntPtr lease);

        [DllImport(Lib)] public static extern IntPtr virStreamNew(IntPtr conn, uint flags);
        [DllImport(Lib)] public static extern int virStreamSend(IntPtr stream, byte[] data, UIntPtr length);
        [DllImport(Lib)] public static extern int virStreamRecv(IntPtr stream, byte[] data, UIntPtr length);
        [DllImport(Lib)] public static extern int virStreamFinish(IntPtr stream);
        [DllImport(Lib)] public static extern int virStreamAbort(IntPtr stream);
        [DllImport(Lib)] public static extern int virStreamFree(IntPtr stream);


        /// <summary>A string as libvirt reads it: UTF-8 ending in NUL.</summary>
        public static byte[] Utf8z(string text)
        {
            var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
            System.Text.Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
            return bytes;
        }
    }
}
