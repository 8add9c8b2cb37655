using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using OsvPS.Core.Elf;
using OsvPS.Core.Projects;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Packaging;
using OsvPS.Core.Tests.Support;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.IO
{
    /// <summary>Writes into a project or the repository: only below the root, never through a link, whatever is swapped meanwhile.</summary>
    public sealed class ContainedFolderTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly string project;
        private readonly string outside;

        public ContainedFolderTests()
        {
            project = dir.Combine("P");
            outside = dir.Combine("OUTSIDE");
            Directory.CreateDirectory(project);
            Directory.CreateDirectory(outside);
        }

        public void Dispose() => dir.Dispose();

        private static IEnumerable<string> Everything(string folder) => Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories);

        [Fact]
        public void WritesCreateTheFoldersOnTheWayAndLeaveNoTemporary()
        {
            var when = new DateTime(2021, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567);
            using (var folder = new ContainedFolder(project))
            {
                folder.WriteFile(Path.Combine(project, "usr/lib/libx.so"), s => s.Write(new byte[] { 1, 2, 3 }, 0, 3), modifiedUtc: when);
                folder.WriteAllText("meta/run.yaml", "runtime: native\n");
                folder.WriteAllText("meta/run.yaml", "replaced\n");
            }
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(Path.Combine(project, "usr/lib/libx.so")));
            Assert.Equal(when, File.GetLastWriteTimeUtc(Path.Combine(project, "usr/lib/libx.so")));
            Assert.Equal("replaced\n", File.ReadAllText(Path.Combine(project, "meta/run.yaml")));
            Assert.DoesNotContain(Everything(project), p => Path.GetFileName(p).EndsWith(".tmp", StringComparison.Ordinal));
        }

        [Fact]
        public void AFailedWriteLeavesNeitherTheFileNorItsTemporary()
        {
            using (var folder = new ContainedFolder(project))
            {
                Assert.Throws<InvalidOperationException>(() => folder.WriteFile("a/b", s =>
                {
                    s.WriteByte(1);
                    throw new InvalidOperationException("writer failed");
                }));
            }
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(project, "a")));
        }

        [Fact]
        public void AProjectRootThatIsALinkIsRefused()
        {
            string link = dir.Combine("P-link");
            File.CreateSymbolicLink(link, outside);
            using var folder = new ContainedFolder(link);
            var e = Assert.Throws<OsvException>(() => folder.WriteAllText("meta/run.yaml", "x"));
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, e.ErrorId);
            Assert.Contains(outside, e.Message);
            Assert.Empty(Everything(outside));
        }

        [Fact]
        public void ARepositoryRootMayBeALinkButNotTheFoldersInIt()
        {
            string real = dir.Combine("real-capstan");
            Directory.CreateDirectory(Path.Combine(real, "repository"));
            string link = dir.Combine("capstan-link");
            File.CreateSymbolicLink(link, real);
            File.CreateSymbolicLink(Path.Combine(real, "repository", "img"), outside);
            using var folder = new ContainedFolder(link, rootMayBeLink: true);
            folder.WriteAllText("repository/other/index.yaml", "ok\n");
            Assert.Equal("ok\n", File.ReadAllText(Path.Combine(real, "repository/other/index.yaml")));
            var e = Assert.Throws<OsvException>(() => folder.WriteAllText("repository/img/index.yaml", "x"));
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, e.ErrorId);
            Assert.Empty(Everything(outside));
        }

        [Fact]
        public void AFolderMovedOutOfTheRootDuringAWriteGetsNothing()
        {
            Directory.CreateDirectory(Path.Combine(project, "sub"));
            using var folder = new ContainedFolder(project);
            var e = Assert.Throws<OsvException>(() => folder.WriteFile("sub/file", s =>
            {
                s.WriteByte(1);
                Directory.Move(Path.Combine(project, "sub"), Path.Combine(outside, "sub"));
            }));
            Assert.Equal(ErrorIds.FileWriteFailed, e.ErrorId);
            Assert.Contains("moved out of", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(outside, "sub")));
        }

        [Fact]
        public void AFolderSwappedForALinkAfterThePlanIsRefusedAtTheWrite()
        {
            Directory.CreateDirectory(Path.Combine(project, "lib"));
            var placer = new BinaryPlacer(new DependencyResolver(), project);
            var plan = placer.Plan("/usr/bin/true", new PlacementOptions { GuestPath = "/lib/x/p", NoDependencies = true });
            Directory.Move(Path.Combine(project, "lib"), Path.Combine(project, "lib.real"));
            File.CreateSymbolicLink(Path.Combine(project, "lib"), outside);
            var e = Assert.Throws<OsvException>(() => placer.Apply(plan));
            Assert.Equal(ErrorIds.FolderIsSymbolicLink, e.ErrorId);
            Assert.Contains(Path.Combine(project, "lib"), e.Message);
            Assert.Empty(Everything(outside));
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

        /// <summary>
        /// Issue 26's race: while a thread swaps <c>P/lib</c> between a real folder and a link to a folder
        /// outside (atomically, with RENAME_EXCHANGE), 400 placements into <c>/lib/x/p&lt;n&gt;</c> each either
        /// land inside the project or fail with an id; nothing, not even a temporary, lands outside.
        /// </summary>
        [Fact]
        public void ThePlacerWritesNothingOutsideWhileAFolderIsSwappedForALink400Times()
        {
            Directory.CreateDirectory(Path.Combine(project, "lib"));
            string swap = Path.Combine(project, "lib-swap");
            File.CreateSymbolicLink(swap, outside);
            var placer = new BinaryPlacer(new DependencyResolver(), project);
            long swaps = 0;
            using var stop = new CancellationTokenSource();
            var swapper = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Assert.Equal(0, renameat2(-100, Path.Combine(project, "lib"), -100, swap, 2));
                    Interlocked.Increment(ref swaps);
                    // Hold each state for a varying while (the real folder longer), so that writes start
                    // in both states and many are under way when the name changes.
                    Thread.SpinWait((swaps % 2 == 0 ? 4000 : 1000) * (int)(1 + swaps % 5));
                }
            });
            swapper.Start();
            var failures = new List<string>();
            int placed = 0;
            // 400 placements at least; more while either outcome is still rare, or the swapper has hardly run (a busy
            // machine can keep it off the processor while the placements, most refused at once, go by), up to 10,000.
            for (int i = 1; i <= 400 || (placed < 20 || failures.Count < 20 || Interlocked.Read(ref swaps) <= 10) && i <= 10_000; i++)
            {
                try
                {
                    placer.Apply(placer.Plan("/usr/bin/true", new PlacementOptions { GuestPath = $"/lib/x/p{i}", Force = true, NoDependencies = true }));
                    placed++;
                }
                catch (OsvException e)
                {
                    failures.Add(e.ErrorId == ErrorIds.FolderIsSymbolicLink || e.ErrorId == "GuestPathInvalid" ? e.ErrorId : e.ErrorId + ": " + e.Message);
                }
            }
            stop.Cancel();
            swapper.Join();
            placer.Complete();
            if (swaps % 2 == 1)
            {
                Assert.Equal(0, renameat2(-100, Path.Combine(project, "lib"), -100, swap, 2));
            }

            Assert.True(swaps > 10, $"the swapper ran {swaps} times");
            Assert.True(placed > 0 && failures.Count > 0, $"{placed} placed, failures: {string.Join(", ", failures.GroupBy(f => f).Select(g => g.Key + " x" + g.Count()))}");
            Assert.Empty(Everything(outside));
            Assert.All(failures, id => Assert.Contains(id, new[] { ErrorIds.FolderIsSymbolicLink, "GuestPathInvalid" }));
            Assert.True(placed + failures.Count >= 400);
            Assert.DoesNotContain(Everything(project), p => AtomicFile.IsTemporaryName(Path.GetFileName(p)));
            // Every placement that reported success is in the project's own folder.
            Assert.Equal(placed, Directory.GetFiles(Path.Combine(project, "lib", "x")).Length);
        }

        /// <summary>
        /// Issue 31: the project folder itself comes and goes, absent one moment and a link to a folder outside the
        /// next, while placements run (each a call of its own, as Add-OsvBinary). The root is opened once, by handle,
        /// never through a link, and every write is made relative to it: a placement lands in a folder it made, or is
        /// refused; nothing, not even a temporary, lands outside.
        /// </summary>
        [Fact]
        public void ThePlacerWritesNothingOutsideWhileTheProjectFolderComesAndGoesAsALink()
        {
            string root = dir.Combine("Q");
            var failures = new List<string>();
            int placed = 0;
            using (var swapper = new RootSwapper(root, outside))
            {
                for (int i = 1; i <= 400 || (placed < 10 || failures.Count < 10 || swapper.Swaps <= 10) && i <= 10_000; i++)
                {
                    try
                    {
                        var placer = new BinaryPlacer(new DependencyResolver(), root);
                        placer.Apply(placer.Plan("/usr/bin/true", new PlacementOptions { GuestPath = $"/bin/p{i}", NoDependencies = true }));
                        placer.Complete();
                        placed++;
                    }
                    catch (OsvException e)
                    {
                        failures.Add(e.ErrorId);
                    }
                }
                Assert.True(swapper.Swaps > 10, $"the swapper ran {swapper.Swaps} times");
            }
            Assert.Empty(Everything(outside));
            Assert.True(placed > 0 && failures.Count > 0, $"{placed} placed, failures: {string.Join(", ", failures.GroupBy(f => f).Select(g => g.Key + " x" + g.Count()))}");
            Assert.All(failures, id => Assert.Contains(id, new[] { ErrorIds.FolderIsSymbolicLink.Name, ErrorIds.FileWriteFailed.Name }));
            // Every placement that reported success is in a folder the placer made, now beside the name.
            var landed = Directory.GetDirectories(dir.Path, "Q.made.*").Concat(Directory.Exists(root) ? new[] { root } : new string[0])
                .SelectMany(Everything).Where(p => File.Exists(p) && Path.GetFileName(p).StartsWith("p", StringComparison.Ordinal)).ToList();
            Assert.Equal(placed, landed.Count);
            Assert.All(landed, p => Assert.Equal(File.ReadAllBytes("/usr/bin/true"), File.ReadAllBytes(p)));
        }

        private static Process HoldLock(string file)
        {
            var holder = Process.Start(new ProcessStartInfo("flock", new[] { file, "sleep", "60" }) { UseShellExecute = false })!;
            var until = DateTime.UtcNow.AddSeconds(20);
            // flock -n fails (1) once the holder has the lock.
            while (Run("flock", "-n", file, "true") == 0)
            {
                Assert.True(DateTime.UtcNow < until, "flock did not take the lock within 20 s");
                Thread.Sleep(20);
            }
            return holder;
        }

        private static int Run(string program, params string[] args)
        {
            using var p = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false })!;
            p.WaitForExit();
            return p.ExitCode;
        }

        [Fact]
        public void TheSweepTakesTemporariesOfDeadWritersOnlyAndNeverEntersALink()
        {
            string live = Path.Combine(project, "usr", "lib", ".libx.so.0123456789ab.tmp");
            string dead = Path.Combine(project, ".big.ba9876543210.tmp");
            string notOurs = Path.Combine(project, ".notes.tmp");
            string beyondLink = Path.Combine(outside, ".y.aaaaaaaaaaaa.tmp");
            Directory.CreateDirectory(Path.GetDirectoryName(live)!);
            File.WriteAllText(dead, "left by a killed run");
            File.WriteAllText(notOurs, "a user's file");
            File.WriteAllText(beyondLink, "outside");
            File.CreateSymbolicLink(Path.Combine(project, "l"), outside);
            using var holder = HoldLock(live);
            try
            {
                int swept = new ContainedFolder(project).SweepTemporaries();
                Assert.True(File.Exists(live), "a temporary a live process holds is kept");
                Assert.Equal(1, swept);
                Assert.False(File.Exists(dead));
                Assert.True(File.Exists(notOurs));
                Assert.True(File.Exists(beyondLink));
            }
            finally
            {
                holder.Kill(entireProcessTree: true);
                holder.WaitForExit();
            }
            // The lock goes when the last process holding it (flock's child, sleep) is gone: wait for that, bounded.
            var until = DateTime.UtcNow.AddSeconds(20);
            while (Run("flock", "-n", live, "true") != 0)
            {
                Assert.True(DateTime.UtcNow < until, "the killed holder's lock was not released within 20 s");
                Thread.Sleep(20);
            }
            Assert.Equal(1, new ContainedFolder(project).SweepTemporaries());
            Assert.False(File.Exists(live), "once its holder is dead (killed), its temporary is swept");
        }

        /// <summary>
        /// Issue 31: what lies under a temporary's name is removed by that name, never opened through it. A link there
        /// (a killed link write's, or one planted to lead the sweep outside) is unlinked once it is a minute old and
        /// what it points to is untouched; a fresh one may be a live write's and stays; a FIFO there is not ours, stays,
        /// and does not hold the sweep (an open of it would wait for a writer forever).
        /// </summary>
        [Fact]
        public void TheSweepUnlinksALinkUnderATemporarysNameAndNeverOpensThroughIt()
        {
            string secret = Path.Combine(outside, "secret");
            File.WriteAllText(secret, "outside, not the project's");
            string toFile = Path.Combine(project, ".secret.0123456789ab.tmp");
            string toFolder = Path.Combine(project, "sub", ".d.ba9876543210.tmp");
            string fresh = Path.Combine(project, ".fresh.aaaaaaaaaaaa.tmp");
            string fifo = Path.Combine(project, ".pipe.bbbbbbbbbbbb.tmp");
            Directory.CreateDirectory(Path.Combine(project, "sub"));
            File.CreateSymbolicLink(toFile, secret);
            File.CreateSymbolicLink(toFolder, outside);
            File.CreateSymbolicLink(fresh, secret);
            Assert.Equal(0, Run("mkfifo", fifo));
            // The links' own times, a day back (touch -h never follows).
            Assert.Equal(0, Run("touch", "-h", "-d", "1 day ago", toFile, toFolder));

            var sweep = System.Threading.Tasks.Task.Run(() => new ContainedFolder(project).SweepTemporaries());
            Assert.True(sweep.Wait(TimeSpan.FromSeconds(20)), "the sweep waited on the FIFO");
            Assert.Equal(2, sweep.Result);
            Assert.Null(UnixFile.Stat(toFile, noFollow: true));
            Assert.Null(UnixFile.Stat(toFolder, noFollow: true));
            Assert.Equal(secret, new FileInfo(fresh).LinkTarget);
            Assert.True(File.Exists(fifo));
            Assert.Equal("outside, not the project's", File.ReadAllText(secret));
            Assert.Equal(new[] { secret }, Directory.GetFileSystemEntries(outside));
        }

        [Fact]
        public void APlacementSweepsAKilledRunsTemporariesAndTheBuildLeavesThemOut()
        {
            string stale = Path.Combine(project, ".big.0123456789ab.tmp");
            ProjectStore.Create(new ProjectSpec { Path = project, BootCommand = "/true" });
            File.WriteAllText(stale, "half a copy");
            var tree = new ImageComposer(new OsvPS.Core.Repository.CapstanRepository(dir.Combine("capstan"))).Compose(ProjectStore.Load(project), new ComposeOptions { NoBootstrap = true });
            Assert.DoesNotContain(tree.Files, f => f.Key.Contains(".big.", StringComparison.Ordinal));

            var placer = new BinaryPlacer(new DependencyResolver(), project);
            placer.Apply(placer.Plan("/usr/bin/true", new PlacementOptions { NoDependencies = true }));
            placer.Complete();
            Assert.False(File.Exists(stale));
            Assert.True(File.Exists(Path.Combine(project, "true")));
        }
    }
}
