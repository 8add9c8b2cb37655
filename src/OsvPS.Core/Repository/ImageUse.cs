using System;
using System.IO;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Repository
{
    /// <summary>
    /// An image file held while an instance of it starts, so that it is not removed between the start's checks and
    /// the moment its instance is recorded as a user of it (a removal then would leave an instance whose QEMU has
    /// no disk). Starts hold it shared, a removal alone: these are advisory locks on the image file itself
    /// (flock on Linux), let go when the holder ends, however it ends.
    /// </summary>
    public static class ImageUse
    {
        /// <summary>Held by a start from before its overlay is made until its instance is recorded.</summary>
        public static IDisposable ForStart(string imagePath, string imageName)
        {
            try
            {
                return new FileStream(imagePath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound, $"image file '{imagePath}' does not exist.", imagePath, e);
            }
            catch (IOException e)
            {
                throw new OsvException(ErrorIds.ImageLocked, OsvErrorKind.ResourceUnavailable,
                    $"image '{imageName}' is being removed by another process.", imageName, e);
            }
        }

        /// <summary>Held by a removal while it finds the image's instances and deletes it: no start is under way meanwhile.</summary>
        public static IDisposable ForRemoval(string imagePath, string imageName)
        {
            try
            {
                return new FileStream(imagePath, FileMode.Open, FileAccess.Read, FileShare.None, 1);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return new MemoryStream(); // nothing to hold: the removal itself says the image is not there
            }
            catch (IOException e)
            {
                throw new OsvException(ErrorIds.ImageInUse, OsvErrorKind.InvalidOperation,
                    $"image '{imageName}' is being started as an instance; remove it once that start has finished (and the instance is removed).", imageName, e);
            }
        }
    }
}
