using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Rofs;
using OsvPS.Core.Packaging;
using OsvPS.Core.Projects;

namespace OsvPS.Core.Building
{
    /// <summary>What goes into an image: the guest tree, the packages in order, the config sets.</summary>
    public sealed class ComposedTree
    {
        internal ComposedTree(ImageTree tree, IReadOnlyList<string> packages, IReadOnlyList<ResolvedConfigSet> configSets,
            IReadOnlyList<KeyValuePair<string, string>> files)
        {
            Tree = tree;
            Packages = packages;
            ConfigSets = configSets;
            Files = files;
        }

        internal ImageTree Tree { get; }

        /// <summary>The packages collected, in the order their files were laid down (the project last).</summary>
        public IReadOnlyList<string> Packages { get; }

        /// <summary>Every config set of every collected package, resolved; each is a <c>/run/&lt;name&gt;</c> file.</summary>
        public IReadOnlyList<ResolvedConfigSet> ConfigSets { get; }

        /// <summary>Each file laid down (guest path, where it came from), in order; later ones may replace earlier ones.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Files { get; }
    }

    /// <summary>Options of <see cref="ImageComposer.Compose"/>.</summary>
    public sealed class ComposeOptions
    {
        /// <summary>Packages required besides the project's own <c>require</c>.</summary>
        public IReadOnlyList<string> ExtraRequire { get; set; } = new string[0];

        /// <summary>Leave out <c>osv.bootstrap</c> (for custom loaders).</summary>
        public bool NoBootstrap { get; set; }

        /// <summary>Keep symlinks that point outside the project as written instead of refusing them.</summary>
        public bool KeepExternalSymlinks { get; set; }
    }

    /// <summary>
    /// Collects an image's files: <c>osv.bootstrap</c>, then the required packages depth first, then
    /// the project (minus <c>.capstanignore</c> matches), then a <c>/run/&lt;set&gt;</c> file per config set.
    /// </summary>
    internal sealed class ImageComposer
    {
        public const string Bootstrap = "osv.bootstrap";

        private readonly Repository.CapstanRepository repository;

        public ImageComposer(Repository.CapstanRepository repository) => this.repository = repository;

        public ComposedTree Compose(OsvProject project, ComposeOptions options)
        {
            var tree = new ImageTree();
            var files = new List<KeyValuePair<string, string>>();
            var order = new List<string>();
            var runs = new List<KeyValuePair<string, RunConfig?>>();
            var done = new HashSet<string>(StringComparer.Ordinal);
            var chain = new List<string>();

            void AddPackage(string name, string requiredBy)
            {
                if (done.Contains(name))
                {
                    return;
                }
                if (chain.Contains(name))
                {
                    throw new OsvException(ErrorIds.PackageCycle, OsvErrorKind.InvalidData,
                        $"packages require each other in a cycle: {string.Join(" -> ", chain.Concat(new[] { name }))}.", name);
                }
                string? archive = repository.FindPackageArchive(name);
                if (archive == null)
                {
                    throw new MissingInputException(new MissingInput(MissingInputKind.Package, name),
                        $"package '{name}' (required by {requiredBy}) is not in {repository.PackagesPath}; fetch it with 'Save-OsvPackage {name}' or 'capstan package pull {name}'" +
                        (name == Bootstrap ? ", or build with -NoBootstrap." : "."));
                }
                chain.Add(name);
                Repository.LocalPackages.Verify(archive);
                var package = PackageArchive.Open(name, archive, Path.Combine(repository.CachePath, "mpm"));
                foreach (string required in package.Require)
                {
                    AddPackage(required, name);
                }
                package.AddTo(tree, (guest, origin) => files.Add(new KeyValuePair<string, string>(guest, origin)));
                chain.RemoveAt(chain.Count - 1);
                done.Add(name);
                order.Add(name);
                runs.Add(new KeyValuePair<string, RunConfig?>(package.Name, package.Run));
            }

            chain.Add(project.Name);
            if (!options.NoBootstrap)
            {
                AddPackage(Bootstrap, "every image");
            }
            foreach (string required in project.Require.Concat(options.ExtraRequire))
            {
                AddPackage(required, project.Name);
            }
            AddProjectFiles(project.Path, tree, files, options);
            order.Add(project.Name);
            runs.Add(new KeyValuePair<string, RunConfig?>(project.Name, project.Run));

            var sets = BootCommands.ResolveAll(runs, (package, set) => RuntimeInterpreters.BootCommand(tree, project.Path, package, set));
            foreach (var set in sets)
            {
                string guest = "/run/" + set.Name;
                tree.Add(guest, new TreeFile(new BytesSource(Encoding.UTF8.GetBytes(set.RunScript), $"config set '{set.Name}' of {set.Package}")));
                files.Add(new KeyValuePair<string, string>(guest, $"config set '{set.Name}' of {set.Package}"));
            }
            return new ComposedTree(tree, order, sets, files);
        }

        private static void AddProjectFiles(string root, ImageTree tree, List<KeyValuePair<string, string>> files, ComposeOptions options)
        {
            foreach (var entry in ProjectTree.Walk(root, IgnoreRules.ForProject(root), options.KeepExternalSymlinks))
            {
                switch (entry.Kind)
                {
                    case ProjectEntryKind.Folder:
                        tree.Add(entry.Guest, new TreeDirectory());
                        continue;
                    case ProjectEntryKind.Link:
                        tree.Add(entry.Guest, new TreeSymlink(entry.LinkTarget!, entry.HostPath));
                        break;
                    default:
                        tree.Add(entry.Guest, new TreeFile(new HostFileSource(entry.HostPath, entry.Size, entry.ModifiedUtc, entry.Status)));
                        break;
                }
                files.Add(new KeyValuePair<string, string>(entry.Guest, entry.HostPath));
            }
        }
    }
}
