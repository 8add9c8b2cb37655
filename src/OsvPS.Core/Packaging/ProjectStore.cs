using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Packaging
{
    /// <summary>What <see cref="ProjectStore.Create"/> writes.</summary>
    public sealed class ProjectSpec
    {
        public string Path { get; set; } = "";
        public string? Name { get; set; }
        public string? Title { get; set; }
        public string? Author { get; set; }
        public string? Version { get; set; }
        public IReadOnlyList<string> Require { get; set; } = new string[0];
        /// <summary>Without a boot command the run.yaml is a commented template.</summary>
        public string? BootCommand { get; set; }
        public string ConfigSet { get; set; } = "default";
        public IReadOnlyDictionary<string, string>? Env { get; set; }
        /// <summary>Replace existing meta files.</summary>
        public bool Force { get; set; }
        /// <summary>Timestamp written to <c>created</c>.</summary>
        public DateTimeOffset Created { get; set; } = DateTimeOffset.UtcNow;
    }

    /// <summary>Reads projects (Capstan's included) and creates new ones.</summary>
    public static class ProjectStore
    {
        public const string MetaFolder = "meta";
        public const string PackageFile = "package.yaml";
        public const string RunFile = "run.yaml";

        public static string PackagePath(string projectPath) => Path.Combine(projectPath, MetaFolder, PackageFile);
        public static string RunPath(string projectPath) => Path.Combine(projectPath, MetaFolder, RunFile);

        /// <summary>True when the folder has a meta/package.yaml or meta/run.yaml; a folder or meta/ that is a symbolic link is refused (FolderIsSymbolicLink).</summary>
        public static bool IsProject(string path) => ContainedFolder.RefuseLinks(path, MetaFolder) && (Present(PackagePath(path)) || Present(RunPath(path)));

        // A meta file is there when anything is at its path: a folder or FIFO named run.yaml is an error when read, not "no run.yaml".
        private static bool Present(string path) => IO.UnixFile.Stat(path, noFollow: true) != null;

        /// <summary>Loads a project folder. A folder without meta files is an error.</summary>
        public static OsvProject Load(string path)
        {
            string full = System.IO.Path.GetFullPath(path).TrimEnd('/', '\\');
            if (!Directory.Exists(full))
            {
                throw new OsvException(ErrorIds.ProjectNotFound, OsvErrorKind.ObjectNotFound,
                    $"project folder '{full}' does not exist.", full);
            }
            if (!IsProject(full))
            {
                throw new OsvException(ErrorIds.ProjectNotFound, OsvErrorKind.ObjectNotFound,
                    $"'{full}' is not an OsvPS/Capstan project: it has neither meta/package.yaml nor meta/run.yaml. Create one with New-OsvProject.", full);
            }
            var package = Present(PackagePath(full)) ? PackageYaml.Parse(ReadText(PackagePath(full)), PackagePath(full)) : null;
            var run = Present(RunPath(full)) ? RunYaml.Parse(ReadText(RunPath(full)), RunPath(full)) : null;
            return new OsvProject(full, package, run, package?.Name ?? System.IO.Path.GetFileName(full));
        }

        /// <summary>Strict UTF-8: bytes that are not UTF-8 are an error, not silently replaced (a boot command must be what was written).</summary>
        internal static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

        internal static string ReadText(string path)
        {
            UnixFileGuard(path);
            try
            {
                using (var stream = IO.UnixFile.OpenRegular(path))
                using (var bytes = new MemoryStream())
                {
                    stream.CopyTo(bytes);
                    return DecodeText(bytes.ToArray(), path);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read '{path}': {e.Message}", path, e);
            }
        }

        private static void UnixFileGuard(string path) => IO.UnixFile.RequireRegular(path, ErrorIds.FileReadFailed, ErrorIds.FileReadFailed);

        /// <summary>The text of a meta file's bytes; bytes that are not UTF-8 name the file and the offset.</summary>
        internal static string DecodeText(byte[] bytes, string source)
        {
            try
            {
                int skip = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
                return StrictUtf8.GetString(bytes, skip, bytes.Length - skip);
            }
            catch (DecoderFallbackException e)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.InvalidData,
                    $"'{source}' is not UTF-8 text (byte {e.Index} is not valid UTF-8); save it as UTF-8.", source, e);
            }
        }

        /// <summary>Writes the project's meta/run.yaml, inside the project, never through a link.</summary>
        internal static void WriteRun(string projectPath, string text)
        {
            try
            {
                using (var folder = new ContainedFolder(projectPath))
                {
                    folder.WriteAllText(RunPath(projectPath), text);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot write '{RunPath(projectPath)}': {e.Message}", projectPath, e);
            }
        }

        /// <summary>Validates <paramref name="spec"/> completely, then writes the meta files; nothing is written when it is invalid.</summary>
        public static OsvProject Create(ProjectSpec spec)
        {
            var (full, package, run, runText) = Plan(spec);
            using (var folder = new ContainedFolder(full))
            try
            {
                folder.WriteAllText(PackagePath(full), PackageYaml.Serialize(package));
                folder.WriteAllText(RunPath(full), runText);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileWriteFailed, OsvErrorKind.WriteError, $"cannot write the project's meta files in '{full}': {e.Message}", full, e);
            }
            // Without a boot command the run.yaml is the template: a native project with no config set yet.
            return new OsvProject(full, package, run ?? new RunConfig("native", new ConfigSet[0]), package.Name);
        }

        /// <summary>Everything <see cref="Create"/> would write, checked, without touching the disk (for -WhatIf).</summary>
        public static (string Path, PackageManifest Package, RunConfig? Run, string RunText) Plan(ProjectSpec spec)
        {
            string full = System.IO.Path.GetFullPath(spec.Path).TrimEnd('/', '\\');
            if (File.Exists(full))
            {
                throw new OsvException(ErrorIds.ProjectExists, OsvErrorKind.ResourceExists, $"'{full}' is a file, not a folder.", full);
            }
            if (IsProject(full) && !spec.Force)
            {
                throw new OsvException(ErrorIds.ProjectExists, OsvErrorKind.ResourceExists,
                    $"'{full}' is already a project; use -Force to replace its meta files.", full);
            }
            string name = spec.Name ?? System.IO.Path.GetFileName(full);
            try
            {
                PackageNames.Validate(name);
            }
            catch (OsvException e)
            {
                throw new OsvException(ErrorIds.ProjectNameInvalid, OsvErrorKind.InvalidArgument, e.Message + " Name it with -Name.", name, e);
            }
            RunYaml.ValidateSetName(spec.ConfigSet, null);
            var env = spec.Env ?? new Dictionary<string, string>();
            RunYaml.ValidateEnv(env, "-Env", soft: true);
            if (spec.BootCommand != null)
            {
                OsvCommandLine.Check(spec.BootCommand, "-BootCommand", ErrorIds.BootCommandInvalid);
            }

            var package = new PackageManifest(name, spec.Title ?? name, spec.Author ?? DefaultAuthor(), spec.Version ?? "0.1",
                spec.Require, spec.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), IO.HostPlatform.Current);
            RunConfig? run = null;
            string runText;
            if (string.IsNullOrWhiteSpace(spec.BootCommand))
            {
                if (env.Count > 0)
                {
                    throw new OsvException(ErrorIds.BootCommandMissing, OsvErrorKind.InvalidArgument,
                        "-Env needs -BootCommand: env belongs to a config set.", name);
                }
                runText = RunYaml.Template(name, spec.ConfigSet);
            }
            else
            {
                run = new RunConfig("native", new[] { new ConfigSet(spec.ConfigSet, spec.BootCommand, env) }, new[] { spec.ConfigSet });
                runText = RunYaml.Serialize(run);
            }
            return (full, package, run, runText);
        }

        private static string DefaultAuthor()
        {
            string user = Environment.UserName;
            return string.IsNullOrEmpty(user) ? "unknown" : user;
        }
    }
}
