namespace OsvPS.Core.Errors
{
    /// <summary>The error identifiers OsvPS reports. They are part of the public contract.</summary>
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
        /// <summary>A project root, its meta/, or a folder a write goes through (in a project or the repository) is a symbolic link.</summary>
        public const string FolderIsSymbolicLink = "FolderIsSymbolicLink";
        /// <summary>A download does not match the digest (sha256) its release publishes.</summary>
        public const string DownloadCorrupt = "DownloadCorrupt";
        /// <summary>The disk cannot hold a download (checked before it starts, or the disk filled up during it).</summary>
        public const string DiskSpaceInsufficient = "DiskSpaceInsufficient";
        /// <summary>A release source, or a redirect of one, that is not http(s).</summary>
        public const string SourceSchemeNotSupported = "SourceSchemeNotSupported";
        /// <summary>A libvirt URI whose driver, transport or parameter OsvPS does not allow.</summary>
        public const string ConnectionNotSupported = "ConnectionNotSupported";
        /// <summary>A -Name that is not a valid wildcard pattern.</summary>
        public const string NamePatternInvalid = "NamePatternInvalid";
        /// <summary>A loader or kernel named by repository metadata (index.yaml) that lies outside the repository.</summary>
        public const string ImageFileOutsideRepository = "ImageFileOutsideRepository";
    }
}
