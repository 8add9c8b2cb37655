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
        public const string DpkgDatabaseNotFound = "DpkgDatabaseNotFound";
        public const string DpkgDatabaseInvalid = "DpkgDatabaseInvalid";
        public const string DebianPackageNotFound = "DebianPackageNotFound";
        public const string DebianPackageNotInstalled = "DebianPackageNotInstalled";
        public const string DebianFileNotOwned = "DebianFileNotOwned";
        public const string DebianPathInvalid = "DebianPathInvalid";
        public const string GuestPathConflict = "GuestPathConflict";
    }
}
