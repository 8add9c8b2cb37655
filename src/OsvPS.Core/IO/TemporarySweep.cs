using System;
using System.Collections.Generic;
using System.IO;

namespace OsvPS.Core.IO
{
    /// <summary>
    /// Finds the temporaries (<see cref="AtomicFile.IsTemporaryName"/>) dead writers left under a folder and
    /// removes them. A live writer holds a lock (flock) on its temporary from creation to rename, and the
    /// lock goes with its process, so a temporary whose lock can be taken is a dead run's. A link under a
    /// temporary's name cannot be locked: one older than <see cref="LinkAge"/> (a live write renames its link
    /// within microseconds) is a dead run's, and is unlinked by its name, never followed. Links are not
    /// entered, nor <c>.git</c>; a folder that cannot be listed is passed over.
    /// </summary>
    internal static class TemporarySweep
    {
        /// <summary>How old a link under a temporary's name must be to be taken for a dead run's.</summary>
        public static readonly TimeSpan LinkAge = TimeSpan.FromMinutes(1);

        /// <summary>Sweeps under <paramref name="root"/> (left open); returns how many were removed.</summary>
        public static int Run(FolderHandle root) => Sweep(root, 0, own: false);

        private static int Sweep(FolderHandle folder, int depth, bool own)
        {
            int swept = 0;
            try
            {
                IReadOnlyList<string> names;
                try
                {
                    names = folder.Names();
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    return 0; // a folder that cannot be listed holds nothing this sweep can judge
                }
                foreach (string name in names)
                {
                    if (AtomicFile.IsTemporaryName(name))
                    {
                        swept += RemoveIfStale(folder, name) ? 1 : 0;
                    }
                    else if (depth < 256 && name != ".git" && IsFolder(folder, name))
                    {
                        FolderHandle child;
                        try
                        {
                            child = folder.OpenChild(name, create: false);
                        }
                        catch (IOException)
                        {
                            continue; // became a link, vanished, or cannot be read: not ours to sweep
                        }
                        swept += Sweep(child, depth + 1, own: true);
                    }
                }
            }
            finally
            {
                if (own)
                {
                    folder.Dispose();
                }
            }
            return swept;
        }

        private static bool RemoveIfStale(FolderHandle folder, string name)
        {
            try
            {
                return folder.RemoveIfUnlocked(name, LinkAge);
            }
            catch (IOException)
            {
                return false;
            }
        }

        private static bool IsFolder(FolderHandle folder, string name)
        {
            try
            {
                return folder.Stat(name)?.Type == UnixFileType.Directory;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }
}
