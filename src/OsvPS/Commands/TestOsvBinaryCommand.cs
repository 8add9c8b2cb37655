using System.Linq;
using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Tells, before booting, whether OSv can run a program, on OSv's own linker and on Linux's dynamic linker: the
    /// symbols it and its libraries reference that nothing defines, whether their absence stops it at load or only
    /// when called, what else stands in the way, and the way to run it.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "OsvBinary", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(OsvBinaryCompatibility))]
    public sealed class TestOsvBinaryCommand : ElfInputCmdlet
    {
        private OsvCompatibility? compatibility;

        /// <summary>The loader image whose kernel ELF (kept beside it in the repository) is the judge; default osv-loader.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string LoaderImage { get; set; } = "osv-loader";

        /// <summary>A kernel ELF (loader-stripped.elf, or osv-loader.elf.x86_64.gz as OSv releases it) instead of the loader's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Kernel { get; set; }

        /// <summary>Replaces the list of libraries OSv provides (sonames or stems like 'libc').</summary>
        [Parameter]
        public string[]? Provided { get; set; }

        /// <summary>Programs that load the inputs (plugins): their symbols, and their libraries', count as defined.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? LoadedBy { get; set; }

        private string[]? loaders;

        // No kernel is a problem of the whole call: say how to get one.
        protected override void BeginProcessing()
        {
            try
            {
                var repository = new CapstanRepository();
                string? kernel = Kernel != null
                    ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(Kernel)
                    : OsvCompatibility.FindKernel(repository, LoaderImage);
                if (kernel == null)
                {
                    throw new OsvException(ErrorIds.KernelNotFound, OsvErrorKind.ObjectNotFound,
                        $"loader image '{LoaderImage}' has no kernel ELF beside it in {repository.ImagesPath}; download OSv's with 'Save-OsvImage {LoaderImage}', " +
                        $"attach one with 'Import-OsvImage -Name {LoaderImage} -Kernel <loader-stripped.elf>', or name one with -Kernel.", LoaderImage);
                }
                compatibility = new OsvCompatibility(SearchOptions(Provided, false), kernel, OsvCompatibility.BootstrapLibGcc(repository));
                WriteVerbose($"Kernel: {kernel}{(compatibility.KernelHidesStdCxx ? " (built with hidden symbols: it does not supply libstdc++)" : "")}");
                loaders = LoadedBy?.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToArray();
            }
            catch (OsvException e)
            {
                ThrowFailure(e, e.Target);
            }
        }

        protected override void ProcessRecord()
        {
            foreach (string input in InputFiles())
            {
                ForItem(input, () => WriteObject(compatibility!.Check(input, loaders)));
            }
        }
    }
}
