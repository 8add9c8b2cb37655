using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;
using OsvPS.Core.Projects;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Projects
{
    /// <summary>
    /// The one project writer: the rules where Add-OsvBinary's placer and Add-OsvDebianPackage's writer used to
    /// disagree, each taken the stricter way, and the folder and link entries a container layer brings.
    /// </summary>
    public sealed class ProjectWriterTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly string project;
        private readonly string outside;

        public ProjectWriterTests()
        {
            project = dir.Combine("P");
            outside = dir.Combine("OUTSIDE");
            Directory.CreateDirectory(project);
            Directory.CreateDirectory(outside);
        }

        public void Dispose() => dir.Dispose();

        private string InProject(string guest) => Path.Combine(project, guest.TrimStart('/'));

        private static HostFileContent Content(string path) => new HostFileContent(path, UnixFile.Stat(path, noFollow: true)!);

        private string Source(string name, string text, DateTime? modifiedUtc = null)
        {
            string path = dir.File("src/" + name, text);
            File.SetLastWriteTimeUtc(path, modifiedUtc ?? new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));
            return path;
        }

        // Before: the placer followed a link at the guest path (and took it for the file when the bytes behind it
        // matched, reading outside the project to know). Now a link is never the file: a conflict, -Force replaces the link.
        [Fact]
        public void ALinkWhereAProgramGoesIsAConflictNeverReadThroughAndForceReplacesTheLinkAlone()
        {
            string theirs = Path.Combine(outside, "true");
            File.Copy("/usr/bin/true", theirs);
            File.SetLastWriteTimeUtc(theirs, File.GetLastWriteTimeUtc("/usr/bin/true"));
            File.CreateSymbolicLink(InProject("/true"), theirs);

            var e = Assert.Throws<OsvException>(() => new BinaryPlacer(new DependencyResolver(), project).Plan("/usr/bin/true", new PlacementOptions { NoDependencies = true }));
            Assert.Equal(ErrorIds.GuestPathConflict, e.ErrorId);
            Assert.Contains("holds something else than '/usr/bin/true'", e.Message);

            var placer = new BinaryPlacer(new DependencyResolver(), project);
            var placement = placer.Plan("/usr/bin/true", new PlacementOptions { NoDependencies = true, Force = true });
            Assert.Equal(FileAction.Replaced, placement.Planned.Single().Action);
            placer.Apply(placement);
            placer.Complete();
            Assert.Null(new FileInfo(InProject("/true")).LinkTarget);
            Assert.Equal(File.ReadAllBytes("/usr/bin/true"), File.ReadAllBytes(InProject("/true")));
            Assert.Equal(File.ReadAllBytes("/usr/bin/true"), File.ReadAllBytes(theirs));
            Assert.Single(Directory.GetFileSystemEntries(outside));
        }

        // Before: Add-OsvDebianPackage called a file of the same bytes but another time a conflict; now both inputs
        // compare the bytes when the times differ, and set the time only.
        [Fact]
        public void TheSameBytesWithAnotherTimeAreUnchangedAndOnlyTheTimeIsSet()
        {
            var when = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            string source = Source("hello.conf", "greeting = hi\n", when);
            string copy = dir.File("P/etc/hello.conf", "greeting = hi\n");
            File.SetLastWriteTimeUtc(copy, when.AddDays(3));
            var inode = UnixFile.Stat(copy, noFollow: true)!.Inode;

            var writer = new ProjectWriter(project);
            var entry = writer.PlanFile("/etc/hello.conf", Content(source), force: false);
            Assert.Equal(FileAction.Unchanged, entry.Action);
            Assert.True(writer.RefreshesTime(copy));
            writer.Apply(entry);
            writer.Complete();
            Assert.Equal(when, File.GetLastWriteTimeUtc(copy));
            Assert.Equal(inode, UnixFile.Stat(copy, noFollow: true)!.Inode);

            File.WriteAllText(copy, "greeting = yo\n");
            File.SetLastWriteTimeUtc(copy, when.AddDays(3));
            var conflict = Assert.Throws<OsvException>(() => new ProjectWriter(project).PlanFile("/etc/hello.conf", Content(source), force: false));
            Assert.Equal(ErrorIds.GuestPathConflict, conflict.ErrorId);
            Assert.Contains("holds a different file than", conflict.Message);
        }

        // Before: two writers, two decision maps: the placer put a file and the Debian writer a link at the same path
        // in one call, and the last write won unseen. Now the second is a conflict at the plan.
        [Fact]
        public void AFileAndALinkAtOneGuestPathInOneCallAreAConflict()
        {
            var writer = new ProjectWriter(project);
            writer.PlanFile("/usr/bin/tool", Content(Source("tool", "#!/bin/sh\n")), force: false);
            var e = Assert.Throws<OsvException>(() => writer.PlanLink("/usr/bin/tool", "other-tool", "/host/usr/bin/tool", force: false));
            Assert.Equal(ErrorIds.GuestPathConflict, e.ErrorId);
            Assert.Throws<OsvException>(() => writer.PlanFolder("/usr/bin/tool", "layer", force: false));
            Assert.False(File.Exists(InProject("/usr/bin/tool")), "nothing is written by a plan");
        }

        // Before: the placer took two sources of the same size and time for one file; now the bytes must agree too.
        // This machine's true and false are such a pair.
        [Fact]
        public void TwoProgramsOfOneSizeAndTimeButOtherBytesAreAConflictInOneCall()
        {
            Assert.Equal(File.GetLastWriteTimeUtc("/usr/bin/true"), File.GetLastWriteTimeUtc("/usr/bin/false"));
            Assert.Equal(new FileInfo("/usr/bin/true").Length, new FileInfo("/usr/bin/false").Length);
            Assert.NotEqual(File.ReadAllBytes("/usr/bin/true"), File.ReadAllBytes("/usr/bin/false"));
            var placer = new BinaryPlacer(new DependencyResolver(), project);
            var first = placer.Plan("/usr/bin/true", new PlacementOptions { GuestPath = "/bin/x", NoDependencies = true });
            var e = Assert.Throws<OsvException>(() => placer.Plan("/usr/bin/false", new PlacementOptions { GuestPath = "/bin/x", NoDependencies = true }));
            Assert.Equal(ErrorIds.GuestPathConflict, e.ErrorId);
            Assert.Contains("holds a different file than '/usr/bin/false'", e.Message);
            // The same bytes from another path are the one file.
            string copy = Path.Combine(outside, "true-copy");
            File.Copy("/usr/bin/true", copy);
            File.SetLastWriteTimeUtc(copy, File.GetLastWriteTimeUtc("/usr/bin/true"));
            var same = placer.Plan(copy, new PlacementOptions { GuestPath = "/bin/x", NoDependencies = true });
            Assert.Equal(FileAction.Added, same.Planned.Single().Action);
            placer.Apply(first);
            placer.Apply(same);
            placer.Complete();
            Assert.Equal(File.ReadAllBytes("/usr/bin/true"), File.ReadAllBytes(InProject("/bin/x")));
        }

        // An input named through a link, and a library found through its soname link, are copied from the file the
        // link names; one whose link is turned to another file after the plan is not copied at all.
        [Fact]
        public void InputsAndLibrariesReachedThroughLinksAreCopiedAsPlannedAndNotOnceTheLinkMoves()
        {
            string lzma = new DirectoryInfo("/lib/x86_64-linux-gnu").EnumerateFiles("liblzma.so.5").Single().FullName;
            Assert.NotNull(new FileInfo(lzma).LinkTarget);
            var placer = new BinaryPlacer(new DependencyResolver(), project);
            placer.Apply(placer.Plan("/usr/bin/xz", new PlacementOptions()));
            placer.Complete();
            Assert.Equal(File.ReadAllBytes(lzma), File.ReadAllBytes(InProject("/usr/lib/liblzma.so.5")));
            Assert.Null(new FileInfo(InProject("/usr/lib/liblzma.so.5")).LinkTarget);

            string input = Path.Combine(outside, "prog");
            File.CreateSymbolicLink(input, "/usr/bin/true");
            var next = new BinaryPlacer(new DependencyResolver(), project);
            var plan = next.Plan(input, new PlacementOptions { NoDependencies = true });
            File.Delete(input);
            File.CreateSymbolicLink(input, "/usr/bin/false");
            var e = Assert.Throws<OsvException>(() => next.Apply(plan));
            Assert.Equal(ErrorIds.FileWriteFailed, e.ErrorId);
            Assert.Contains("no longer the file", e.Message);
            Assert.False(File.Exists(InProject("/prog")));
            Assert.DoesNotContain(Directory.GetFileSystemEntries(project), p => AtomicFile.IsTemporaryName(Path.GetFileName(p)));
        }

        // A link this call plans is a link on the way for every later entry: refused at the plan, nothing written outside.
        [Fact]
        public void AnEntryUnderALinkPlannedInTheSameCallIsRefusedAtThePlan()
        {
            var writer = new ProjectWriter(project);
            var link = writer.PlanLink("/opt/app", outside, "layer 1", force: false);
            var e = Assert.Throws<OsvException>(() => writer.PlanFile("/opt/app/evil", Content(Source("evil", "evil\n")), force: false));
            Assert.Equal(ErrorIds.GuestPathInvalid, e.ErrorId);
            Assert.Contains("a symbolic link in the project", e.Message);
            writer.Apply(link);
            writer.Complete();
            Assert.Equal(outside, new FileInfo(InProject("/opt/app")).LinkTarget);
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }

        // Either order: a path this call needs as a folder takes no file nor link, and a file this call puts takes nothing under it.
        [Fact]
        public void APathThisCallNeedsAsAFolderTakesNoFileAndAFileTakesNothingUnderIt()
        {
            var writer = new ProjectWriter(project);
            writer.PlanFile("/usr/share/app/data.txt", Content(Source("data.txt", "data\n")), force: false);
            var link = Assert.Throws<OsvException>(() => writer.PlanLink("/usr/share/app", "elsewhere", "package b", force: true));
            Assert.Equal(ErrorIds.GuestPathConflict, link.ErrorId);
            Assert.Contains("a folder this call puts files in", link.Message);
            writer.PlanFile("/usr/share/tool", Content(Source("tool", "#!/bin/sh\n")), force: false);
            var under = Assert.Throws<OsvException>(() => writer.PlanFile("/usr/share/tool/x", Content(Source("x", "x")), force: true));
            Assert.Equal(ErrorIds.GuestPathConflict, under.ErrorId);
            Assert.Contains("where this call puts a file", under.Message);
            Assert.False(Directory.Exists(InProject("/usr")), "nothing is written by a plan");
        }

        // What a container layer brings: folders, files and links, in the layer's order, through the same writer.
        [Fact]
        public void FoldersFilesAndLinksOfALayerAreWrittenAndASecondRunChangesNothing()
        {
            string data = Source("data.txt", "layer data\n");
            for (int run = 0; run < 2; run++)
            {
                var writer = new ProjectWriter(project);
                var entries = new[]
                {
                    writer.PlanFolder("/srv", "layer", force: false),
                    writer.PlanFolder("/srv/www", "layer", force: false),
                    writer.PlanFile("/srv/www/index.txt", Content(data), force: false),
                    writer.PlanLink("/srv/current", "www", "layer", force: false),
                };
                var expected = run == 0 ? FileAction.Added : FileAction.Unchanged;
                Assert.All(entries, entry => Assert.Equal(expected, entry.Action));
                foreach (var entry in entries)
                {
                    writer.Apply(entry);
                }
                writer.Complete();
            }
            Assert.True(Directory.Exists(InProject("/srv/www")));
            Assert.Equal("layer data\n", File.ReadAllText(InProject("/srv/www/index.txt")));
            Assert.Equal("www", new FileInfo(InProject("/srv/current")).LinkTarget);
            // A file where the layer has a folder is replaced only when forced.
            File.WriteAllText(InProject("/srv/www2"), "a file");
            Assert.Equal(ErrorIds.GuestPathConflict, Assert.Throws<OsvException>(() => new ProjectWriter(project).PlanFolder("/srv/www2", "layer", force: false)).ErrorId);
            var forced = new ProjectWriter(project);
            forced.Apply(forced.PlanFolder("/srv/www2", "layer", force: true));
            Assert.True(Directory.Exists(InProject("/srv/www2")));
        }
    }
}
