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
        public const string ImageExists = "ImageExists";
        public const string KubeVirtSettingInvalid = "KubeVirtSettingInvalid";
    }
}
