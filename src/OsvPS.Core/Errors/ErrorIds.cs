namespace OsvPS.Core.Errors
{
    /// <summary>
    /// Every error id OsvPS reports, in one list: <see cref="ErrorId"/> has no other maker, so the compiler checks
    /// every id thrown (tests/OsvPS.Core.Tests/Architecture/ErrorIdTests.cs checks that each one is thrown somewhere).
    /// They are part of the public contract: scripts match on them.
    /// </summary>
    public static class ErrorIds
    {
        private static readonly System.Lazy<System.Collections.Generic.Dictionary<string, ErrorId>> ByName = new System.Lazy<System.Collections.Generic.Dictionary<string, ErrorId>>(() =>
        {
            var byName = new System.Collections.Generic.Dictionary<string, ErrorId>(System.StringComparer.Ordinal);
            foreach (var field in typeof(ErrorIds).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            {
                if (field.GetValue(null) is ErrorId id)
                {
                    byName[id.Name] = id;
                }
            }
            return byName;
        });

        /// <summary>The id named <paramref name="name"/> (one read back from a file OsvPS wrote), or null.</summary>
        internal static ErrorId? Named(string? name) => name != null && ByName.Value.TryGetValue(name, out var id) ? id : (ErrorId?)null;

        public static readonly ErrorId RunYamlInvalid = new ErrorId("RunYamlInvalid");
        public static readonly ErrorId PackageYamlInvalid = new ErrorId("PackageYamlInvalid");
        public static readonly ErrorId RuntimeNotSupported = new ErrorId("RuntimeNotSupported");
        public static readonly ErrorId RuntimeKeysInvalid = new ErrorId("RuntimeKeysInvalid");
        public static readonly ErrorId RuntimeInterpreterMissing = new ErrorId("RuntimeInterpreterMissing");
        public static readonly ErrorId RuntimeInterpreterAmbiguous = new ErrorId("RuntimeInterpreterAmbiguous");
        public static readonly ErrorId ConfigSetMissing = new ErrorId("ConfigSetMissing");
        public static readonly ErrorId BootCommandMissing = new ErrorId("BootCommandMissing");
        public static readonly ErrorId BootCommandInvalid = new ErrorId("BootCommandInvalid");
        public static readonly ErrorId ConfigSetBaseInvalid = new ErrorId("ConfigSetBaseInvalid");
        public static readonly ErrorId BasePackageNotFound = new ErrorId("BasePackageNotFound");
        public static readonly ErrorId BaseConfigSetNotFound = new ErrorId("BaseConfigSetNotFound");
        public static readonly ErrorId ConfigSetBaseCycle = new ErrorId("ConfigSetBaseCycle");
        public static readonly ErrorId EnvInvalid = new ErrorId("EnvInvalid");
        public static readonly ErrorId EnvNeedsDiskBoot = new ErrorId("EnvNeedsDiskBoot");
        public static readonly ErrorId ConfigSetNotFound = new ErrorId("ConfigSetNotFound");
        public static readonly ErrorId ConfigSetRequired = new ErrorId("ConfigSetRequired");
        public static readonly ErrorId BootProgramNotFound = new ErrorId("BootProgramNotFound");
        public static readonly ErrorId ConfigSetNameInvalid = new ErrorId("ConfigSetNameInvalid");
        public static readonly ErrorId CommandLineTooLong = new ErrorId("CommandLineTooLong");
        public static readonly ErrorId CommandLineInvalid = new ErrorId("CommandLineInvalid");
        public static readonly ErrorId ProjectExists = new ErrorId("ProjectExists");
        public static readonly ErrorId ProjectNotFound = new ErrorId("ProjectNotFound");
        public static readonly ErrorId ProjectNameInvalid = new ErrorId("ProjectNameInvalid");
        public static readonly ErrorId FileWriteFailed = new ErrorId("FileWriteFailed");
        public static readonly ErrorId FileReadFailed = new ErrorId("FileReadFailed");
        public static readonly ErrorId ElfFormatInvalid = new ErrorId("ElfFormatInvalid");
        public static readonly ErrorId ElfArchitectureNotSupported = new ErrorId("ElfArchitectureNotSupported");
        public static readonly ErrorId SharedLibraryNotFound = new ErrorId("SharedLibraryNotFound");

        // Instances (every engine).
        public static readonly ErrorId InstanceNameInvalid = new ErrorId("InstanceNameInvalid");
        public static readonly ErrorId InstanceNotFound = new ErrorId("InstanceNotFound");
        public static readonly ErrorId InstanceExists = new ErrorId("InstanceExists");
        public static readonly ErrorId InstanceRunning = new ErrorId("InstanceRunning");
        public static readonly ErrorId InstanceStateInvalid = new ErrorId("InstanceStateInvalid");
        public static readonly ErrorId InstanceFolderInvalid = new ErrorId("InstanceFolderInvalid");
        public static readonly ErrorId InstanceSettingInvalid = new ErrorId("InstanceSettingInvalid");
        public static readonly ErrorId ForwardInvalid = new ErrorId("ForwardInvalid");
        public static readonly ErrorId ForwardInUse = new ErrorId("ForwardInUse");
        public static readonly ErrorId ImageNotFound = new ErrorId("ImageNotFound");
        public static readonly ErrorId KernelNotFound = new ErrorId("KernelNotFound");
        public static readonly ErrorId KernelCorrupt = new ErrorId("KernelCorrupt");
        public static readonly ErrorId DiskFormatNotSupported = new ErrorId("DiskFormatNotSupported");
        public static readonly ErrorId VolumeNotFound = new ErrorId("VolumeNotFound");
        public static readonly ErrorId QemuFailed = new ErrorId("QemuFailed");
        public static readonly ErrorId QemuCrashed = new ErrorId("QemuCrashed");
        public static readonly ErrorId GuestProgramFailed = new ErrorId("GuestProgramFailed");
        public static readonly ErrorId WaitTimedOut = new ErrorId("WaitTimedOut");
        /// <summary>-WaitReady / Wait-OsvInstance -Ready: the probe did not answer within the timeout, or the instance ended first.</summary>
        public static readonly ErrorId NotReady = new ErrorId("NotReady");
        public static readonly ErrorId InstanceNotRunning = new ErrorId("InstanceNotRunning");
        public static readonly ErrorId ForwardMoveFailed = new ErrorId("ForwardMoveFailed");
        public static readonly ErrorId ReplaceNotSupported = new ErrorId("ReplaceNotSupported");
        /// <summary>A readiness probe that is not one (tcp:PORT, http://ADDRESS:PORT/PATH, console:REGEX).</summary>
        public static readonly ErrorId ReadinessProbeInvalid = new ErrorId("ReadinessProbeInvalid");
        /// <summary>A readiness probe the instance gives no way to reach: no forward of its guest port, or an address no forward listens on.</summary>
        public static readonly ErrorId ReadinessProbeUnreachable = new ErrorId("ReadinessProbeUnreachable");
        public static readonly ErrorId ImageInUse = new ErrorId("ImageInUse");
        /// <summary>Import-OsvImage -ReleaseFolder: no folder, or one without OSv's disk loader asset.</summary>
        public static readonly ErrorId ReleaseFolderInvalid = new ErrorId("ReleaseFolderInvalid");
        /// <summary>A project root, its meta/, or a folder a write goes through (in a project or the repository) is a symbolic link.</summary>
        public static readonly ErrorId FolderIsSymbolicLink = new ErrorId("FolderIsSymbolicLink");
        /// <summary>A download does not match the digest (sha256) its release publishes.</summary>
        public static readonly ErrorId DownloadCorrupt = new ErrorId("DownloadCorrupt");
        /// <summary>The disk cannot hold a download (checked before it starts, or the disk filled up during it).</summary>
        public static readonly ErrorId DiskSpaceInsufficient = new ErrorId("DiskSpaceInsufficient");
        /// <summary>A release source, or a redirect of one, that is not http(s).</summary>
        public static readonly ErrorId SourceSchemeNotSupported = new ErrorId("SourceSchemeNotSupported");
        /// <summary>A connection URI whose scheme no engine runs, or a libvirt URI whose driver, transport or parameter OsvPS does not allow.</summary>
        public static readonly ErrorId ConnectionNotSupported = new ErrorId("ConnectionNotSupported");
        /// <summary>A start option (-QemuPath, -StoragePool) that the engine of the connection does not use.</summary>
        public static readonly ErrorId EngineOptionNotSupported = new ErrorId("EngineOptionNotSupported");
        /// <summary>A -Name that is not a valid wildcard pattern.</summary>
        public static readonly ErrorId NamePatternInvalid = new ErrorId("NamePatternInvalid");

        // Cmdlets (errors that are not OsvPS's own).
        public static readonly ErrorId AccessDenied = new ErrorId("AccessDenied");
        public static readonly ErrorId BinaryPathInvalid = new ErrorId("BinaryPathInvalid");
        public static readonly ErrorId GuestFailed = new ErrorId("GuestFailed");
        public static readonly ErrorId IOError = new ErrorId("IOError");
        public static readonly ErrorId InvalidArgument = new ErrorId("InvalidArgument");
        public static readonly ErrorId OperationStopped = new ErrorId("OperationStopped");
        public static readonly ErrorId PathNotFound = new ErrorId("PathNotFound");
        public static readonly ErrorId UnexpectedError = new ErrorId("UnexpectedError");

        // Releases and downloads.
        public static readonly ErrorId AssetNotFound = new ErrorId("AssetNotFound");
        public static readonly ErrorId DownloadFailed = new ErrorId("DownloadFailed");
        public static readonly ErrorId DownloadIncomplete = new ErrorId("DownloadIncomplete");
        public static readonly ErrorId DownloadSizeUnknown = new ErrorId("DownloadSizeUnknown");
        public static readonly ErrorId RateLimited = new ErrorId("RateLimited");
        public static readonly ErrorId ReleaseNotFound = new ErrorId("ReleaseNotFound");
        public static readonly ErrorId ReleaseSourceInvalid = new ErrorId("ReleaseSourceInvalid");
        public static readonly ErrorId ReleaseSourceUnreachable = new ErrorId("ReleaseSourceUnreachable");
        public static readonly ErrorId VariantInvalid = new ErrorId("VariantInvalid");

        // ELF files and placement.
        public static readonly ErrorId BinaryNotFound = new ErrorId("BinaryNotFound");
        public static readonly ErrorId GuestPathConflict = new ErrorId("GuestPathConflict");
        public static readonly ErrorId GuestPathInvalid = new ErrorId("GuestPathInvalid");

        // Disks, file systems and images.
        public static readonly ErrorId ConfigInvalid = new ErrorId("ConfigInvalid");
        public static readonly ErrorId DiskImageInvalid = new ErrorId("DiskImageInvalid");
        public static readonly ErrorId FileChangedDuringBuild = new ErrorId("FileChangedDuringBuild");
        public static readonly ErrorId ImageConversionFailed = new ErrorId("ImageConversionFailed");
        public static readonly ErrorId ImageExists = new ErrorId("ImageExists");
        public static readonly ErrorId ImageLocked = new ErrorId("ImageLocked");
        public static readonly ErrorId ImageNameInvalid = new ErrorId("ImageNameInvalid");
        public static readonly ErrorId ImageTooLarge = new ErrorId("ImageTooLarge");
        public static readonly ErrorId KernelInvalid = new ErrorId("KernelInvalid");
        public static readonly ErrorId LoaderImageCorrupt = new ErrorId("LoaderImageCorrupt");
        public static readonly ErrorId LoaderImageInvalid = new ErrorId("LoaderImageInvalid");
        public static readonly ErrorId LoaderImageNotFound = new ErrorId("LoaderImageNotFound");
        public static readonly ErrorId NameTooLong = new ErrorId("NameTooLong");

        // Networks of instances (New-OsvNetwork, Start-OsvInstance -Network NAME).
        public static readonly ErrorId NetworkNameInvalid = new ErrorId("NetworkNameInvalid");
        public static readonly ErrorId NetworkSubnetInvalid = new ErrorId("NetworkSubnetInvalid");
        /// <summary>The subnet overlaps another network's or one of the host's routes, or no free one was found.</summary>
        public static readonly ErrorId NetworkSubnetInUse = new ErrorId("NetworkSubnetInUse");
        public static readonly ErrorId NetworkExists = new ErrorId("NetworkExists");
        public static readonly ErrorId NetworkNotFound = new ErrorId("NetworkNotFound");
        /// <summary>Remove-OsvNetwork without -Force while instances run on the network.</summary>
        public static readonly ErrorId NetworkInUse = new ErrorId("NetworkInUse");
        /// <summary>Bridges, taps and dnsmasq need root (CAP_NET_ADMIN); the category is PermissionDenied.</summary>
        public static readonly ErrorId NetworkNeedsRoot = new ErrorId("NetworkNeedsRoot");
        /// <summary>An ip or dnsmasq call failed or passed its deadline.</summary>
        public static readonly ErrorId NetworkFailed = new ErrorId("NetworkFailed");
        public static readonly ErrorId NetworkFull = new ErrorId("NetworkFull");
        public static readonly ErrorId NetworkToolMissing = new ErrorId("NetworkToolMissing");
        public static readonly ErrorId NetworkStateInvalid = new ErrorId("NetworkStateInvalid");
        /// <summary>A libvirt network has a DNS or DHCP host record of the instance's name already.</summary>
        public static readonly ErrorId NetworkNameTaken = new ErrorId("NetworkNameTaken");

        // libvirt.
        public static readonly ErrorId ConnectionInvalid = new ErrorId("ConnectionInvalid");
        public static readonly ErrorId DomainExists = new ErrorId("DomainExists");
        public static readonly ErrorId LibvirtConnectFailed = new ErrorId("LibvirtConnectFailed");
        public static readonly ErrorId LibvirtFailed = new ErrorId("LibvirtFailed");
        public static readonly ErrorId LibvirtNotInstalled = new ErrorId("LibvirtNotInstalled");
        public static readonly ErrorId LibvirtNotSupported = new ErrorId("LibvirtNotSupported");
        public static readonly ErrorId LibvirtTimeout = new ErrorId("LibvirtTimeout");
        public static readonly ErrorId StoragePoolInvalid = new ErrorId("StoragePoolInvalid");

        // Projects and packages.
        public static readonly ErrorId FileNameInvalid = new ErrorId("FileNameInvalid");
        public static readonly ErrorId IgnorePatternTooComplex = new ErrorId("IgnorePatternTooComplex");
        public static readonly ErrorId PackageCorrupt = new ErrorId("PackageCorrupt");
        public static readonly ErrorId PackageCycle = new ErrorId("PackageCycle");
        public static readonly ErrorId PackageInvalid = new ErrorId("PackageInvalid");
        public static readonly ErrorId PackageNameInvalid = new ErrorId("PackageNameInvalid");
        public static readonly ErrorId PackageNotFound = new ErrorId("PackageNotFound");
        public static readonly ErrorId SymlinkOutsideProject = new ErrorId("SymlinkOutsideProject");

        // What OSv prints when a program fails (GuestFailures.cs).
        public static readonly ErrorId GuestAborted = new ErrorId("GuestAborted");
        public static readonly ErrorId GuestKernelStopped = new ErrorId("GuestKernelStopped");
        public static readonly ErrorId GuestAssertionFailed = new ErrorId("GuestAssertionFailed");
        public static readonly ErrorId GuestCommandLineInvalid = new ErrorId("GuestCommandLineInvalid");
        public static readonly ErrorId GuestPageFault = new ErrorId("GuestPageFault");
        public static readonly ErrorId GuestProgramInvalid = new ErrorId("GuestProgramInvalid");
        public static readonly ErrorId GuestProgramNotFound = new ErrorId("GuestProgramNotFound");
        public static readonly ErrorId GuestSymbolNotFound = new ErrorId("GuestSymbolNotFound");

        // QEMU and instances.
        public static readonly ErrorId InstanceFolderUnsafe = new ErrorId("InstanceFolderUnsafe");
        public static readonly ErrorId OverlayFailed = new ErrorId("OverlayFailed");
        public static readonly ErrorId QmpCommandFailed = new ErrorId("QmpCommandFailed");
        public static readonly ErrorId QmpPeerInvalid = new ErrorId("QmpPeerInvalid");
        public static readonly ErrorId QmpUnavailable = new ErrorId("QmpUnavailable");
        public static readonly ErrorId VolumeInvalid = new ErrorId("VolumeInvalid");

        // ELF: Linux's dynamic linker.
        /// <summary>Add-OsvBinary -LinuxLinker: the program's dynamic linker is not on the host (or not glibc's).</summary>
        public static readonly ErrorId LinuxLinkerNotFound = new ErrorId("LinuxLinkerNotFound");
        /// <summary>Add-OsvBinary -LinuxLinker on a shared library that exports main, which only OSv's linker starts.</summary>
        public static readonly ErrorId LinuxLinkerNotApplicable = new ErrorId("LinuxLinkerNotApplicable");

        // Debian packages.
        public static readonly ErrorId DpkgDatabaseNotFound = new ErrorId("DpkgDatabaseNotFound");
        public static readonly ErrorId DpkgDatabaseInvalid = new ErrorId("DpkgDatabaseInvalid");
        public static readonly ErrorId DebianPackageNotFound = new ErrorId("DebianPackageNotFound");
        public static readonly ErrorId DebianPackageNotInstalled = new ErrorId("DebianPackageNotInstalled");
        public static readonly ErrorId DebianFileNotOwned = new ErrorId("DebianFileNotOwned");
        public static readonly ErrorId DebianPathInvalid = new ErrorId("DebianPathInvalid");

        // OCI registries (Publish-OsvImage, Save-OsvImage -Reference, Find-OsvImage -Reference).
        public static readonly ErrorId OciReferenceInvalid = new ErrorId("OciReferenceInvalid");
        public static readonly ErrorId RegistryUnreachable = new ErrorId("RegistryUnreachable");
        public static readonly ErrorId RegistryUnauthorized = new ErrorId("RegistryUnauthorized");
        public static readonly ErrorId RegistryDenied = new ErrorId("RegistryDenied");
        public static readonly ErrorId RegistryCertificateInvalid = new ErrorId("RegistryCertificateInvalid");
        public static readonly ErrorId RegistryHttpRefused = new ErrorId("RegistryHttpRefused");
        public static readonly ErrorId RegistryError = new ErrorId("RegistryError");
        public static readonly ErrorId RegistryResponseTooLarge = new ErrorId("RegistryResponseTooLarge");
        public static readonly ErrorId RegistryCredentialsInvalid = new ErrorId("RegistryCredentialsInvalid");
        public static readonly ErrorId OciManifestNotFound = new ErrorId("OciManifestNotFound");
        public static readonly ErrorId OciManifestNotSupported = new ErrorId("OciManifestNotSupported");
        public static readonly ErrorId OciNotAnOsvImage = new ErrorId("OciNotAnOsvImage");
        public static readonly ErrorId OciDigestMismatch = new ErrorId("OciDigestMismatch");
        public static readonly ErrorId OciUploadFailed = new ErrorId("OciUploadFailed");
        public static readonly ErrorId OciDownloadFailed = new ErrorId("OciDownloadFailed");
        public static readonly ErrorId OciDiskFormatNotSupported = new ErrorId("OciDiskFormatNotSupported");
        public static readonly ErrorId KubeVirtSettingInvalid = new ErrorId("KubeVirtSettingInvalid");

        // Container images (an image's root file system: registry, oci: layout, docker-archive:).
        public static readonly ErrorId ContainerReferenceInvalid = new ErrorId("ContainerReferenceInvalid");
        public static readonly ErrorId ContainerImageNotFound = new ErrorId("ContainerImageNotFound");
        public static readonly ErrorId ContainerImageInvalid = new ErrorId("ContainerImageInvalid");
        public static readonly ErrorId ContainerLayerInvalid = new ErrorId("ContainerLayerInvalid");
        public static readonly ErrorId ContainerRootExists = new ErrorId("ContainerRootExists");
        public static readonly ErrorId ContainerCommandMissing = new ErrorId("ContainerCommandMissing");
        public static readonly ErrorId ContainerProgramNotFound = new ErrorId("ContainerProgramNotFound");
        public static readonly ErrorId ConfigSetExists = new ErrorId("ConfigSetExists");

        public static readonly ErrorId ImageFileNotFound = new ErrorId("ImageFileNotFound");
        public static readonly ErrorId BinaryNotAFile = new ErrorId("BinaryNotAFile");
        public static readonly ErrorId ImageIndexInvalid = new ErrorId("ImageIndexInvalid");
        public static readonly ErrorId QemuNotFound = new ErrorId("QemuNotFound");
        public static readonly ErrorId QemuImgNotFound = new ErrorId("QemuImgNotFound");
    }
}
