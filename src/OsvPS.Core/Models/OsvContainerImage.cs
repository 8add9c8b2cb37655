using System.Collections.Generic;

namespace OsvPS.Core.Models
{
    /// <summary>A container image Add-OsvContainerImage carried (or would carry) into a project, and how its config set starts it.</summary>
    public sealed class OsvContainerImage
    {
        public OsvContainerImage(string reference, string digest, string project, string configSet, string bootCommand, OsvRunWay way,
            IEnumerable<string> exposedPorts, int files, long bytes, IEnumerable<string> leftOut, IEnumerable<string> warnings, string root)
        {
            Reference = reference;
            Digest = digest;
            Project = project;
            ConfigSet = configSet;
            BootCommand = bootCommand;
            Way = way;
            ExposedPorts = TextList.Of(exposedPorts);
            Files = files;
            Bytes = bytes;
            LeftOut = TextList.Of(leftOut);
            Warnings = TextList.Of(warnings);
            Root = root;
        }

        /// <summary>The reference as given (<c>oci:./app:1.0</c>, <c>docker-archive:app.tar</c>, <c>registry/repo:tag</c>).</summary>
        public string Reference { get; }
        /// <summary>The image's digest (its manifest's; a docker-archive's config's).</summary>
        public string Digest { get; }
        /// <summary>The project folder.</summary>
        public string Project { get; }
        /// <summary>The config set of meta/run.yaml that starts the image's program.</summary>
        public string ConfigSet { get; }
        /// <summary>The config set's boot command, quoted for OSv's command grammar.</summary>
        public string BootCommand { get; }
        /// <summary>How the program is started: OSv's linker, or the image's own Linux dynamic linker.</summary>
        public OsvRunWay Way { get; }
        /// <summary>The image's ports (<c>6379/tcp</c>): forward them with Start-OsvInstance -Forward.</summary>
        public TextList ExposedPorts { get; }
        /// <summary>The files carried (regular files, not links or folders).</summary>
        public int Files { get; }
        /// <summary>Their bytes.</summary>
        public long Bytes { get; }
        /// <summary>What of the image was not carried, with why (<c>/usr/share/doc: documentation (-Include Documentation), 12 entries</c>).</summary>
        public TextList LeftOut { get; }
        /// <summary>What a unikernel cannot honour (User, Volumes, Healthcheck, a shell command, a WorkingDir) and what the verdict says.</summary>
        public TextList Warnings { get; }
        /// <summary>The image's unpacked root in the repository's cache.</summary>
        public string Root { get; }

        public override string ToString() => Reference;
    }
}
