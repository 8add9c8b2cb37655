namespace OsvPS.Core.Errors
{
    /// <summary>
    /// Every error id OsvPS reports, in one list (tests/OsvPS.Core.Tests/Architecture/ErrorIdTests.cs checks it
    /// against every id thrown). They are part of the public contract: scripts match on them.
    /// </summary>
    public static class ErrorIds
    {
        public const string RunYamlInvalid = "RunYamlInvalid";
        public const string PackageYamlInvalid = "PackageYamlInvalid";
        public const string RuntimeNotSupported = "RuntimeNotSupported";
        public const string ConfigSetMissing = "ConfigSetMissing";
        public const string BootCommandMissing = "BootCommandMissing";
        public const string BootCommandInvalid = "BootCommandInvalid";
        public const string ConfigSetBaseInvalid = "ConfigSetBaseInvalid";
        public const string BasePackageNotFound = "BasePackageNotFound";
        public const string BaseConfigSetNotFound = "BaseConfigSetNotFound";
        public const string BaseCycle = "ConfigSetBaseCycle";
        public const string EnvInvalid = "EnvInvalid";
        public const string ConfigSetNotFound = "ConfigSetNotFound";
        public const string ConfigSetRequired = "ConfigSetRequired";
        public const string BootProgramNotFound = "BootProgramNotFound";
        public const string ConfigSetNameInvalid = "ConfigSetNameInvalid";
        public const string CommandLineTooLong = "CommandLineTooLong";
        public const string CommandLineInvalid = "CommandLineInvalid";
        public const string ProjectExists = "ProjectExists";
        public const string ProjectNotFound = "ProjectNotFound";
        public const string ProjectNameInvalid = "ProjectNameInvalid";
        public const string FileWriteFailed = "FileWriteFailed";
        public const string FileReadFailed = "FileReadFailed";
        public const string ElfFormatInvalid = "ElfFormatInvalid";
        public const string ElfArchitectureNotSupported = "ElfArchitectureNotSupported";
        public const string SharedLibraryNotFound = "SharedLibraryNotFound";

        // Instances (every engine).
        public const string InstanceNameInvalid = "InstanceNameInvalid";
        public const string InstanceNotFound = "InstanceNotFound";
        public const string InstanceExists = "InstanceExists";
        public const string InstanceRunning = "InstanceRunning";
        public const string InstanceStateInvalid = "InstanceStateInvalid";
        public const string InstanceFolderInvalid = "InstanceFolderInvalid";
        public const string InstanceSettingInvalid = "InstanceSettingInvalid";
        public const string ForwardInvalid = "ForwardInvalid";
        public const string ForwardInUse = "ForwardInUse";
        public const string ImageNotFound = "ImageNotFound";
        public const string KernelNotFound = "KernelNotFound";
        public const string KernelCorrupt = "KernelCorrupt";
        public const string DiskFormatNotSupported = "DiskFormatNotSupported";
        public const string VolumeNotFound = "VolumeNotFound";
        public const string QemuFailed = "QemuFailed";
        public const string QemuCrashed = "QemuCrashed";
        public const string GuestProgramFailed = "GuestProgramFailed";
        public const string WaitTimedOut = "WaitTimedOut";
        public const string ImageInUse = "ImageInUse";
        /// <summary>Import-OsvImage -ReleaseFolder: no folder, or one without OSv's disk loader asset.</summary>
        public const string ReleaseFolderInvalid = "ReleaseFolderInvalid";
        /// <summary>A project root, its meta/, or a folder a write goes through (in a project or the repository) is a symbolic link.</summary>
        public const string FolderIsSymbolicLink = "FolderIsSymbolicLink";
        /// <summary>A download does not match the digest (sha256) its release publishes.</summary>
        public const string DownloadCorrupt = "DownloadCorrupt";
        /// <summary>The disk cannot hold a download (checked before it starts, or the disk filled up during it).</summary>
        public const string DiskSpaceInsufficient = "DiskSpaceInsufficient";
        /// <summary>A release source, or a redirect of one, that is not http(s).</summary>
        public const string SourceSchemeNotSupported = "SourceSchemeNotSupported";
        /// <summary>A connection URI whose scheme no engine runs, or a libvirt URI whose driver, transport or parameter OsvPS does not allow.</summary>
        public const string ConnectionNotSupported = "ConnectionNotSupported";
        /// <summary>A start option (-QemuPath, -StoragePool) that the engine of the connection does not use.</summary>
        public const string EngineOptionNotSupported = "EngineOptionNotSupported";
        /// <summary>A -Name that is not a valid wildcard pattern.</summary>
        public const string NamePatternInvalid = "NamePatternInvalid";

        // Cmdlets (errors that are not OsvPS's own).
        public const string AccessDenied = "AccessDenied";
        public const string BinaryPathInvalid = "BinaryPathInvalid";
        public const string GuestFailed = "GuestFailed";
        public const string IOError = "IOError";
        public const string InvalidArgument = "InvalidArgument";
        public const string OperationStopped = "OperationStopped";
        public const string PathNotFound = "PathNotFound";
        public const string UnexpectedError = "UnexpectedError";

        // Releases and downloads.
        public const string AssetNotFound = "AssetNotFound";
        public const string DownloadFailed = "DownloadFailed";
        public const string DownloadIncomplete = "DownloadIncomplete";
        public const string DownloadSizeUnknown = "DownloadSizeUnknown";
        public const string RateLimited = "RateLimited";
        public const string ReleaseNotFound = "ReleaseNotFound";
        public const string ReleaseSourceInvalid = "ReleaseSourceInvalid";
        public const string ReleaseSourceUnreachable = "ReleaseSourceUnreachable";
        public const string VariantInvalid = "VariantInvalid";

        // ELF files and placement.
        public const string BinaryNotFound = "BinaryNotFound";
        public const string GuestPathConflict = "GuestPathConflict";
        public const string GuestPathInvalid = "GuestPathInvalid";

        // Disks, file systems and images.
        public const string ConfigInvalid = "ConfigInvalid";
        public const string DiskImageInvalid = "DiskImageInvalid";
        public const string FileChangedDuringBuild = "FileChangedDuringBuild";
        public const string ImageConversionFailed = "ImageConversionFailed";
        public const string ImageExists = "ImageExists";
        public const string ImageLocked = "ImageLocked";
        public const string ImageNameInvalid = "ImageNameInvalid";
        public const string ImageTooLarge = "ImageTooLarge";
        public const string KernelInvalid = "KernelInvalid";
        public const string LoaderImageCorrupt = "LoaderImageCorrupt";
        public const string LoaderImageInvalid = "LoaderImageInvalid";
        public const string LoaderImageNotFound = "LoaderImageNotFound";
        public const string NameTooLong = "NameTooLong";

        // libvirt.
        public const string ConnectionInvalid = "ConnectionInvalid";
        public const string DomainExists = "DomainExists";
        public const string LibvirtConnectFailed = "LibvirtConnectFailed";
        public const string LibvirtFailed = "LibvirtFailed";
        public const string LibvirtNotInstalled = "LibvirtNotInstalled";
        public const string LibvirtNotSupported = "LibvirtNotSupported";
        public const string LibvirtTimeout = "LibvirtTimeout";
        public const string StoragePoolInvalid = "StoragePoolInvalid";

        // Projects and packages.
        public const string FileNameInvalid = "FileNameInvalid";
        public const string IgnorePatternTooComplex = "IgnorePatternTooComplex";
        public const string PackageCorrupt = "PackageCorrupt";
        public const string PackageCycle = "PackageCycle";
        public const string PackageInvalid = "PackageInvalid";
        public const string PackageNameInvalid = "PackageNameInvalid";
        public const string PackageNotFound = "PackageNotFound";
        public const string SymlinkOutsideProject = "SymlinkOutsideProject";

        // What OSv prints when a program fails (GuestFailures.cs).
        public const string GuestAborted = "GuestAborted";
        public const string GuestAssertionFailed = "GuestAssertionFailed";
        public const string GuestCommandLineInvalid = "GuestCommandLineInvalid";
        public const string GuestPageFault = "GuestPageFault";
        public const string GuestProgramInvalid = "GuestProgramInvalid";
        public const string GuestProgramNotFound = "GuestProgramNotFound";
        public const string GuestSymbolNotFound = "GuestSymbolNotFound";

        // QEMU and instances.
        public const string InstanceFolderUnsafe = "InstanceFolderUnsafe";
        public const string OverlayFailed = "OverlayFailed";
        public const string QmpCommandFailed = "QmpCommandFailed";
        public const string QmpPeerInvalid = "QmpPeerInvalid";
        public const string QmpUnavailable = "QmpUnavailable";
        public const string VolumeInvalid = "VolumeInvalid";

        // ELF: Linux's dynamic linker.
        /// <summary>Add-OsvBinary -LinuxLinker: the program's dynamic linker is not on the host (or not glibc's).</summary>
        public const string LinuxLinkerNotFound = "LinuxLinkerNotFound";
        /// <summary>Add-OsvBinary -LinuxLinker on a shared library that exports main, which only OSv's linker starts.</summary>
        public const string LinuxLinkerNotApplicable = "LinuxLinkerNotApplicable";

        // Debian packages.
        public const string DpkgDatabaseNotFound = "DpkgDatabaseNotFound";
        public const string DpkgDatabaseInvalid = "DpkgDatabaseInvalid";
        public const string DebianPackageNotFound = "DebianPackageNotFound";
        public const string DebianPackageNotInstalled = "DebianPackageNotInstalled";
        public const string DebianFileNotOwned = "DebianFileNotOwned";
        public const string DebianPathInvalid = "DebianPathInvalid";

        // OCI registries (Publish-OsvImage, Save-OsvImage -Reference, Find-OsvImage -Reference).
        public const string OciReferenceInvalid = "OciReferenceInvalid";
        public const string RegistryUnreachable = "RegistryUnreachable";
        public const string RegistryUnauthorized = "RegistryUnauthorized";
        public const string RegistryDenied = "RegistryDenied";
        public const string RegistryCertificateInvalid = "RegistryCertificateInvalid";
        public const string RegistryHttpRefused = "RegistryHttpRefused";
        public const string RegistryError = "RegistryError";
        public const string RegistryResponseTooLarge = "RegistryResponseTooLarge";
        public const string RegistryCredentialsInvalid = "RegistryCredentialsInvalid";
        public const string OciManifestNotFound = "OciManifestNotFound";
        public const string OciManifestNotSupported = "OciManifestNotSupported";
        public const string OciNotAnOsvImage = "OciNotAnOsvImage";
        public const string OciDigestMismatch = "OciDigestMismatch";
        public const string OciUploadFailed = "OciUploadFailed";
        public const string OciDownloadFailed = "OciDownloadFailed";
        public const string OciDiskFormatNotSupported = "OciDiskFormatNotSupported";
        public const string KubeVirtSettingInvalid = "KubeVirtSettingInvalid";
    }
}
