using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OsvPS.Completers;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

namespace OsvPS.Commands
{
    /// <summary>
    /// Removes images from the repository.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "OsvImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NameSet)]
    [OutputType(typeof(OsvImage))]
    public sealed class RemoveOsvImageCommand : RemoveCmdlet<OsvImage>
    {
        /// <summary>Image names; wildcards allowed.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ImageNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Images from Get-OsvImage or Build-OsvImage.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
        public OsvImage[] InputObject { get; set; } = new OsvImage[0];

        protected override void ProcessRecord()
        {
            var repository = new CapstanRepository();
            var targets = Targets(InputObject, Name, n => MatchImages(repository, n));
            foreach (var image in targets)
            {
                ForItem(image.Name, () =>
                {
                    // Checked before ShouldProcess, so -WhatIf says what the real call would do; again under the lock.
                    var users = Users(repository, image);
                    string action = users.Count > 0 ? $"Remove OSv image, the backing file of instance(s) {string.Join(", ", users)}" : "Remove OSv image";
                    if (ShouldProcess(image.Name, action))
                    {
                        // The instances of this machine use the image file itself (a libvirt host has its own copy);
                        // no start of it is under way while they are listed and it is removed.
                        using (ImageUse.ForRemoval(image.Path, image.Name))
                        {
                            Users(repository, image);
                            repository.RemoveImage(image.Name);
                        }
                        Removed(image);
                    }
                });
            }
        }

        // The instances of this machine whose backing file the image is; ImageInUse when there are any and not -Force.
        private List<string> Users(CapstanRepository repository, OsvImage image)
        {
            using var engine = InstanceEngines.Open(null, repository);
            var users = engine.List(CancellationToken)
                .Where(i => string.Equals(i.ImagePath, image.Path, System.StringComparison.Ordinal)).Select(i => i.Name).ToList();
            if (users.Count > 0 && !Force)
            {
                throw new OsvException(ErrorIds.ImageInUse, OsvErrorKind.InvalidOperation,
                    $"image '{image.Name}' is the backing file of instance(s) {string.Join(", ", users)}; remove them first (Remove-OsvInstance), or use -Force.", image);
            }
            return users;
        }
    }
}
