using System.Management.Automation;
using OsvPS.Core;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS
{
    /// <summary>What the cmdlets that download from OSv's releases share.</summary>
    internal static class Releases
    {
        /// <summary>A release source for <paramref name="explicitSource"/> (or the configured one).</summary>
        public static ReleaseSource Open(CapstanRepository repository, string? explicitSource)
            => new ReleaseSource(ReleaseSource.Choose(explicitSource, repository));

        /// <summary>Write-Progress for downloads, one bar a file, ended when the file is whole.</summary>
        public static CallbackProgress<DownloadProgress> DownloadProgress(PSCmdlet cmdlet)
        {
            var show = ProgressPacer.ForTransfers(cmdlet, 2);
            return new CallbackProgress<DownloadProgress>(p => show("Downloading " + p.Name, p.Received, p.Total));
        }
    }
}
