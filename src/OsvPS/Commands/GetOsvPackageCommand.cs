using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Models;
using OsvPS.Core.Remote;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Lists the packages in the repository (or, with -Remote, those a release offers).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvPackage")]
    [OutputType(typeof(OsvPackage))]
    public sealed class GetOsvPackageCommand : OsvCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(OsvPS.Completers.PackageNameCompleter))]
        public string Name { get; set; } = "*";

        /// <summary>List the packages of a release instead of the local ones.</summary>
        [Parameter]
        public SwitchParameter Remote { get; set; }

        [Parameter]
        public string Version { get; set; } = "latest";

        [Parameter]
        public string? Source { get; set; }

        protected override void EndProcessing()
        {
            ForItem(Name, () =>
            {
                var pattern = Names.Pattern(Name);
                var packages = Remote ? RemoteCatalog.FindPackages(new CapstanRepository(), Source, Version, Names.Pattern(Name).IsMatch, CancellationToken)
                    : OsvPS.Core.Repository.LocalPackages.List(new CapstanRepository(), WriteWarning).Where(p => pattern.IsMatch(p.Name));
                WriteObject(packages, enumerateCollection: true);
            });
        }
    }
}
