using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Commands
{
    /// <summary>
    /// Shows what an ELF file is and its full library tree: where each library came from and why, or that it is missing.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "OsvElfInfo", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(OsvElfInfo))]
    public sealed class GetOsvElfInfoCommand : ElfInputCmdlet
    {
        private DependencyResolver? resolver;

        [Parameter]
        public SwitchParameter IncludeProvided { get; set; }

        protected override void BeginProcessing()
        {
            resolver = new DependencyResolver(SearchOptions(null, IncludeProvided));
        }

        private readonly List<string> pending = new List<string>();
        private const int BatchSize = 64;

        protected override void ProcessRecord()
        {
            pending.AddRange(InputFiles());
            if (pending.Count >= BatchSize)
            {
                Flush();
            }
        }

        protected override void EndProcessing() => Flush();

        // Files are resolved in parallel batches (the memo is shared) and written in input order.
        private void Flush()
        {
            var batch = pending.ToList();
            pending.Clear();
            var elves = batch.Select(file => ItemResult<ElfFile>.Try(file, () => resolver!.Read(file))).ToList();
            var resolvable = elves.Where(e => e.Value is ElfFile elf && elf.IsX8664).Select(e => e.Item).Distinct().ToList();
            var trees = resolver!.ResolveMany(resolvable, CancellationToken).ToDictionary(r => r.Item);
            foreach (var read in elves)
            {
                string file = read.Item;
                if (read.Error is OsvException readError)
                {
                    WriteFailure(readError, file);
                    continue;
                }
                var elf = read.Value!;
                var dependencies = new OsvDependency[0];
                if (trees.TryGetValue(file, out var result))
                {
                    if (result.Error is OsvException e)
                    {
                        WriteFailure(e, file);
                        continue;
                    }
                    dependencies = result.Value!.Libraries
                        .Select(l => new OsvDependency(l.Name, l.Path, l.Via.ToString(), l.SearchedIn, l.RequiredBy.ToArray())).ToArray();
                }
                WriteObject(new OsvElfInfo(file, elf.Kind.ToString(), $"{(elf.Is64Bit ? "64" : "32")}-bit {ElfFile.MachineName(elf.Machine)}",
                    elf.Interpreter, elf.Soname, elf.Needed.ToArray(), elf.RPath.ToArray(), elf.RunPath.ToArray(), elf.RunsOnOsv && elf.IsX8664, dependencies));
            }
        }
    }
}
