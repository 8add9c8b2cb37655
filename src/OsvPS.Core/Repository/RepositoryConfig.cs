using System.IO;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Yaml;

namespace OsvPS.Core.Repository
{
    /// <summary>The keys of <c>&lt;root&gt;/config.yaml</c> Capstan users already have.</summary>
    public sealed class RepositoryConfig
    {
        public string? RepoUrl { get; private set; }
        public string? ReleaseTag { get; private set; }
        public bool DisableKvm { get; private set; }
        /// <summary><c>threads</c> (default) or <c>native</c>.</summary>
        public string QemuAioType { get; private set; } = "threads";
        /// <summary>OsvPS's own <c>pull_missing</c>: Build-OsvImage fetches missing loaders and packages.</summary>
        public bool PullMissing { get; private set; }

        public static RepositoryConfig Load(CapstanRepository repository)
        {
            string path = Path.Combine(repository.Root, "config.yaml");
            var config = new RepositoryConfig();
            if (!File.Exists(path))
            {
                return config;
            }
            var doc = YamlDocument.Parse(File.ReadAllText(path), path, ErrorIds.ConfigInvalid);
            config.RepoUrl = doc.Scalar(doc.Root, "repo_url");
            config.ReleaseTag = doc.Scalar(doc.Root, "release_tag");
            string? disable = doc.Scalar(doc.Root, "disable_kvm");
            config.DisableKvm = disable != null && (disable == "true" || disable == "yes" || disable == "1");
            string? pull = doc.Scalar(doc.Root, "pull_missing");
            config.PullMissing = pull != null && (pull == "true" || pull == "yes" || pull == "1");
            string? aio = doc.Scalar(doc.Root, "qemu_aio_type");
            if (aio != null)
            {
                if (aio != "threads" && aio != "native")
                {
                    throw new OsvException(ErrorIds.ConfigInvalid, OsvErrorKind.InvalidData, $"{path}: qemu_aio_type must be 'threads' or 'native', not '{aio}'.", path);
                }
                config.QemuAioType = aio;
            }
            return config;
        }
    }
}
