using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;

namespace OsvPS
{
    /// <summary>
    /// Base of the cmdlets that take ELF files and resolve their libraries (Add-OsvBinary,
    /// Test-OsvBinary, Get-OsvElfInfo): the same inputs, bound the same way, and the same search.
    /// </summary>
    public abstract class ElfInputCmdlet : OsvCmdlet
    {
        protected const string PathSet = "Path";
        protected const string LiteralPathSet = "LiteralPath";

        /// <summary>Files to take; wildcards allowed.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        /// <summary>Files to take, as written (binds from Get-ChildItem output).</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "FullName")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>Resolve libraries as on this root file system instead of the host's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Root { get; set; }

        /// <summary>Folders searched like LD_LIBRARY_PATH.</summary>
        [Parameter]
        public string[]? LibraryPath { get; set; }

        /// <summary>The files this pipeline item names; a bad path is its own error and the rest go on.</summary>
        protected List<string> InputFiles()
            => ResolveInputFiles(ParameterSetName == LiteralPathSet ? LiteralPath : Path, ParameterSetName == LiteralPathSet);

        /// <summary>The library search the parameters ask for.</summary>
        protected ResolverOptions SearchOptions(IEnumerable<string>? provided, bool includeProvided) => new ResolverOptions
        {
            Root = Root == null ? "/" : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Root),
            LibraryPath = (LibraryPath ?? new string[0]).Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToList(),
            Provided = (provided ?? DependencyResolver.OsvProvided).ToList(),
            IncludeProvided = includeProvided,
        };

        /// <summary>
        /// The files named by <paramref name="paths"/> (wildcards unless <paramref name="literal"/>). A path that
        /// resolves to nothing, or is not a valid wildcard pattern, is that input's error, and the rest go on.
        /// </summary>
        protected List<string> ResolveInputFiles(IEnumerable<string> paths, bool literal)
        {
            var files = new List<string>();
            foreach (string path in paths)
            {
                if (literal)
                {
                    files.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
                    continue;
                }
                try
                {
                    files.AddRange(GetResolvedProviderPathFromPSPath(path, out _));
                }
                catch (WildcardPatternException e)
                {
                    WriteFailure(new OsvException(ErrorIds.BinaryPathInvalid, OsvErrorKind.InvalidArgument,
                        $"'{path}' is not a valid wildcard pattern ({e.Message}); name such a file with -LiteralPath.", path, e), path);
                }
                catch (Exception e) when (e is RuntimeException || e is ArgumentException || e is System.IO.IOException)
                {
                    WriteFailure(new OsvException(ErrorIds.BinaryNotFound, OsvErrorKind.ObjectNotFound, e.Message, path, e), path);
                }
            }
            return files;
        }
    }
}
