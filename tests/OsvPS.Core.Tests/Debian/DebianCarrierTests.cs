using System;
using System.IO;
using System.Linq;
using OsvPS.Core.Debian;
using OsvPS.Core.Elf;
using OsvPS.Core.Projects;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Debian
{
    // A sysroot made here, with real ELF files of this machine (xz and its liblzma) and a dpkg database of its own.
    public sealed class DebianCarrierTests : IDisposable
    {
        private readonly TempDir dir = new TempDir();
        private readonly string root;
        private readonly string project;
        private readonly string lzma;

        public DebianCarrierTests()
        {
            root = dir.Combine("root");
            project = dir.Combine("project");
            Directory.CreateDirectory(Path.Combine(project, "meta"));
            lzma = new Sysroot("/").Resolve("/lib/x86_64-linux-gnu/liblzma.so.5")!;
            string lzmaFile = Path.GetFileName(lzma);
            Put("usr/bin/hello", File.ReadAllBytes("/usr/bin/xz"));
            Put("usr/lib/hello/plugin.so", File.ReadAllBytes(lzma));
            Put("lib/x86_64-linux-gnu/" + lzmaFile, File.ReadAllBytes(lzma));
            File.CreateSymbolicLink(Path.Combine(root, "lib/x86_64-linux-gnu/liblzma.so.5"), lzmaFile);
            Put("etc/hello.conf", "greeting = hi\n");
            Put("usr/share/doc/hello/copyright", "GPL\n");
            Put("usr/share/man/man1/hello.1.gz", "man\n");
            Put("usr/share/hello/data.txt", "data\n");
            File.CreateSymbolicLink(Path.Combine(root, "usr/bin/hi"), "hello");
            File.CreateSymbolicLink(Path.Combine(root, "usr/share/hello/conf-link"), "/etc/hello.conf");
            Put("var/lib/dpkg/status", string.Join("\n\n", new[]
            {
                "Package: hello\nStatus: install ok installed\nSection: utils\nArchitecture: amd64\nVersion: 1\nDepends: hello-data, liblzma5\n" +
                "Conffiles:\n /etc/hello.conf 00000000000000000000000000000000",
                "Package: hello-data\nStatus: install ok installed\nSection: utils\nArchitecture: all\nVersion: 1",
                "Package: liblzma5\nStatus: install ok installed\nSection: libs\nArchitecture: amd64\nVersion: 5",
            }) + "\n");
            Put("var/lib/dpkg/info/hello.list", "/.\n/etc\n/etc/hello.conf\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/bin/hi\n/usr/lib/hello\n/usr/lib/hello/plugin.so\n" +
                "/usr/share/doc/hello/copyright\n/usr/share/man/man1/hello.1.gz\n/usr/share/hello/conf-link\n/usr/share/hello/gone\n");
            Put("var/lib/dpkg/info/hello-data.list", "/.\n/usr/share/hello\n/usr/share/hello/data.txt\n");
            Put("var/lib/dpkg/info/liblzma5:amd64.list", $"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/{lzmaFile}\n/lib/x86_64-linux-gnu/liblzma.so.5\n");
        }

        public void Dispose() => dir.Dispose();

        private void Put(string relative, string text) => Put(relative, System.Text.Encoding.UTF8.GetBytes(text));

        private void Put(string relative, byte[] bytes)
        {
            string path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }

        private (DebianCarrier Carrier, DpkgDatabase Database) NewCarrier()
        {
            var database = DpkgDatabase.Open(new Sysroot(root));
            var resolver = new DependencyResolver(new ResolverOptions { Root = root });
            return (new DebianCarrier(database, resolver, new BinaryPlacer(resolver, project), project), database);
        }

        private System.Collections.Generic.List<DebianPackagePlan> Carry(DebianCarryOptions options)
        {
            var (carrier, database) = NewCarrier();
            var plans = carrier.Plan(new[] { database.Find("hello") }, options);
            foreach (var plan in plans)
            {
                carrier.Apply(plan);
            }
            carrier.Complete();
            return plans;
        }

        private string InProject(string guest) => Path.Combine(project, guest.TrimStart('/'));

        [Fact]
        public void CarriesThePackageAndItsSectionAtDpkgsPathsWithTheLibrariesItsElfFilesNeed()
        {
            var plans = Carry(new DebianCarryOptions { Scope = DebianDependencyScope.Section });
            Assert.Equal(new[] { "hello", "hello-data" }, plans.Select(p => p.Package.Name));
            var files = plans.SelectMany(p => p.Planned).ToDictionary(f => f.GuestPath);
            Assert.Equal(DebianFileKind.Program, files["/usr/bin/hello"].Kind);
            Assert.Equal(File.ReadAllBytes("/usr/bin/xz"), File.ReadAllBytes(InProject("/usr/bin/hello")));
            // The library xz needs, at OSv's /usr/lib, with the package that owns it in the root.
            var dependency = files["/usr/lib/liblzma.so.5"];
            Assert.Equal(DebianFileKind.Dependency, dependency.Kind);
            Assert.Equal("liblzma5", dependency.Package);
            Assert.StartsWith(root + "/", dependency.SourcePath);
            Assert.Equal(DebianFileKind.Library, files["/usr/lib/hello/plugin.so"].Kind);
            Assert.Equal(DebianFileKind.Configuration, files["/etc/hello.conf"].Kind);
            Assert.Equal("greeting = hi\n", File.ReadAllText(InProject("/etc/hello.conf")));
            Assert.Equal("hello-data", files["/usr/share/hello/data.txt"].Package);
            // Links: relative ones as written, absolute ones made relative so that they stay in the image.
            Assert.Equal("hello", files["/usr/bin/hi"].LinkTarget);
            Assert.Equal("hello", OsvPS.Core.IO.SymbolicLink.ReadTarget(InProject("/usr/bin/hi")));
            Assert.Equal("../../../etc/hello.conf", OsvPS.Core.IO.SymbolicLink.ReadTarget(InProject("/usr/share/hello/conf-link")));
            // Documentation and man pages stay out; a listed file that is not there is a warning.
            Assert.False(File.Exists(InProject("/usr/share/doc/hello/copyright")));
            Assert.False(File.Exists(InProject("/usr/share/man/man1/hello.1.gz")));
            Assert.Equal(2, plans[0].Excluded);
            Assert.Contains(plans[0].Warnings, w => w.Contains("/usr/share/hello/gone"));
            Assert.Empty(plans.SelectMany(p => p.Errors));
            Assert.All(files.Values, f => Assert.Equal(FileAction.Added, f.Action));

            // Again: nothing to write.
            var again = Carry(new DebianCarryOptions { Scope = DebianDependencyScope.Section });
            Assert.All(again.SelectMany(p => p.Planned), f => Assert.Equal(FileAction.Unchanged, f.Action));
        }

        [Fact]
        public void KeepsWhatItWasToldToAndReplacesOnlyWhenForced()
        {
            var plans = Carry(new DebianCarryOptions { Include = DebianContent.Documentation, Exclude = p => p == "/usr/share/hello" });
            Assert.True(File.Exists(InProject("/usr/share/doc/hello/copyright")));
            Assert.False(File.Exists(InProject("/usr/share/man/man1/hello.1.gz")));
            Assert.False(File.Exists(InProject("/usr/share/hello/data.txt")));
            Assert.DoesNotContain(plans.SelectMany(p => p.Planned), f => f.GuestPath.StartsWith("/usr/share/hello/", StringComparison.Ordinal));

            File.WriteAllText(InProject("/etc/hello.conf"), "changed by hand\n");
            var conflict = Carry(new DebianCarryOptions()).SelectMany(p => p.Errors).Single();
            Assert.Equal(ErrorIds.GuestPathConflict, conflict.ErrorId);
            Assert.Equal("changed by hand\n", File.ReadAllText(InProject("/etc/hello.conf")));
            var forced = Carry(new DebianCarryOptions { Force = true }).SelectMany(p => p.Planned).Single(f => f.GuestPath == "/etc/hello.conf");
            Assert.Equal(FileAction.Replaced, forced.Action);
            Assert.Equal("greeting = hi\n", File.ReadAllText(InProject("/etc/hello.conf")));
        }

        // Two packages in one call: the first places a link that climbs out of the project, the second a file under
        // it. The file is refused at the link (written through the project's one writer), nothing lands outside.
        [Fact]
        public void AFileUnderALinkPlacedEarlierInTheSameCallIsRefusedAndNothingIsWrittenOutside()
        {
            string outside = dir.Combine("outside");
            Directory.CreateDirectory(outside);
            string climb = string.Concat(Enumerable.Repeat("../", 16)) + outside.TrimStart('/');
            Directory.CreateDirectory(Path.Combine(root, "usr/share"));
            File.CreateSymbolicLink(Path.Combine(root, "usr/share/climb"), climb);
            // In the root, the link leads to the same path under the root: filler's file is there.
            Put(outside.TrimStart('/') + "/evil.txt", "evil\n");
            File.Delete(Path.Combine(root, "var/lib/dpkg/status"));
            Put("var/lib/dpkg/status", "Package: climber\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n" +
                "Package: filler\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n");
            Put("var/lib/dpkg/info/climber.list", "/.\n/usr\n/usr/share\n/usr/share/climb\n");
            Put("var/lib/dpkg/info/filler.list", "/.\n/usr/share/climb/evil.txt\n");
            var (carrier, database) = NewCarrier();
            var plans = carrier.Plan(new[] { database.Find("climber"), database.Find("filler") }, new DebianCarryOptions { Scope = DebianDependencyScope.None });
            var errors = new System.Collections.Generic.List<OsvException>();
            foreach (var plan in plans)
            {
                try
                {
                    carrier.Apply(plan);
                }
                catch (OsvException e)
                {
                    errors.Add(e); // the cmdlet makes it this package's error and goes on
                }
                errors.AddRange(plan.Errors);
            }
            carrier.Complete();
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories));
            Assert.Equal(climb, new FileInfo(InProject("/usr/share/climb")).LinkTarget);
            Assert.Contains(errors, e => e.ErrorId == ErrorIds.FolderIsSymbolicLink || e.ErrorId == ErrorIds.GuestPathInvalid);
        }

        // Issue 31: the project folder comes and goes, absent one moment and a link to a folder outside the next, while
        // packages are carried into it (each a call of its own): files and links land in a folder the carrier made, or
        // are refused; nothing lands outside.
        [Fact]
        public void NothingIsWrittenOutsideWhileTheProjectFolderComesAndGoesAsALink()
        {
            string outside = dir.Combine("outside");
            Directory.CreateDirectory(outside);
            string swapped = dir.Combine("swapped");
            var database = DpkgDatabase.Open(new Sysroot(root));
            var resolver = new DependencyResolver(new ResolverOptions { Root = root });
            int carried = 0, refused = 0;
            var ids = new System.Collections.Generic.HashSet<string>();
            using (var swapper = new OsvPS.Core.Tests.Support.RootSwapper(swapped, outside))
            {
                for (int i = 1; i <= 200 || (carried < 10 || refused < 10 || swapper.Swaps <= 10) && i <= 5_000; i++)
                {
                    var carrier = new DebianCarrier(database, resolver, new BinaryPlacer(resolver, swapped), swapped);
                    var errors = new System.Collections.Generic.List<OsvException>();
                    foreach (var plan in carrier.Plan(new[] { database.Find("hello") }, new DebianCarryOptions { Scope = DebianDependencyScope.None }))
                    {
                        errors.AddRange(plan.Errors);
                        try
                        {
                            carrier.Apply(plan);
                            carrier.Complete();
                        }
                        catch (OsvException e)
                        {
                            errors.Add(e);
                        }
                    }
                    ids.UnionWith(errors.Select(e => e.ErrorId));
                    if (errors.Count == 0)
                    {
                        carried++;
                    }
                    else
                    {
                        refused++;
                    }
                }
                Assert.True(swapper.Swaps > 10, $"the swapper ran {swapper.Swaps} times");
            }
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories));
            Assert.True(carried > 0 && refused > 0, $"{carried} carried, {refused} refused");
            Assert.True(ids.IsSubsetOf(new[] { ErrorIds.FolderIsSymbolicLink.Name, ErrorIds.FileWriteFailed.Name }), "errors: " + string.Join(", ", ids));
            // Each whole carry is in a folder the carrier made, beside the name (or still at it, when the swapper did not
            // move the last one): the program, its configuration, its link.
            var made = Directory.GetDirectories(dir.Path, "swapped*").Where(d => File.Exists(Path.Combine(d, "usr/bin/hello"))).ToList();
            Assert.NotEmpty(made);
            Assert.All(made, d => Assert.Equal(File.ReadAllBytes("/usr/bin/xz"), File.ReadAllBytes(Path.Combine(d, "usr/bin/hello"))));
        }

        [Fact]
        public void ATemporaryAKilledRunLeftIsSweptByTheNext()
        {
            // A package of data files alone: no ELF file, so no program placer runs its own sweep.
            string left = InProject("/usr/share/hello/.data.txt.0123456789ab.tmp");
            Directory.CreateDirectory(Path.GetDirectoryName(left)!);
            File.WriteAllText(left, "half written by a run that was killed\n");
            var (carrier, database) = NewCarrier();
            foreach (var plan in carrier.Plan(new[] { database.Find("hello-data") }, new DebianCarryOptions { Scope = DebianDependencyScope.None }))
            {
                carrier.Apply(plan);
            }
            carrier.Complete();
            Assert.False(File.Exists(left));
            Assert.Equal("data\n", File.ReadAllText(InProject("/usr/share/hello/data.txt")));
        }

        [Fact]
        public void PlacesALibraryPackagesLibrariesByTheirNameWithAllDependencies()
        {
            var plans = Carry(new DebianCarryOptions { Scope = DebianDependencyScope.All });
            Assert.Equal(new[] { "hello", "hello-data", "liblzma5" }, plans.Select(p => p.Package.Name));
            var all = plans.SelectMany(p => p.Planned).ToList();
            // Reported once (by the first package that needs it); the soname link is not carried beside it.
            Assert.Single(all, f => f.GuestPath == "/usr/lib/liblzma.so.5");
            Assert.DoesNotContain(all, f => f.GuestPath.StartsWith("/lib/", StringComparison.Ordinal));
            Assert.False(Directory.Exists(InProject("/lib")));
        }

        // The default scope: the library package and the data it needs come (liblzma5, zone-data); the package whose
        // libraries the kernel supplies (a libc6 with libc.so.6) and the maintainer scripts' helper (admin) do not.
        [Fact]
        public void CarriesWhatTheProgramsNeedAtRunTimeButNotWhatTheKernelStandsFor()
        {
            Put("var/lib/dpkg/status", string.Join("\n\n", new[]
            {
                "Package: hello\nStatus: install ok installed\nSection: utils\nArchitecture: amd64\nVersion: 1\nDepends: hello-data, liblzma5, libc-fake, helper",
                "Package: hello-data\nStatus: install ok installed\nSection: utils\nArchitecture: all\nVersion: 1",
                "Package: liblzma5\nStatus: install ok installed\nSection: libs\nArchitecture: amd64\nVersion: 5\nDepends: zone-data",
                "Package: zone-data\nStatus: install ok installed\nSection: localization\nArchitecture: all\nVersion: 1",
                "Package: libc-fake\nStatus: install ok installed\nSection: libs\nArchitecture: amd64\nVersion: 1",
                "Package: helper\nStatus: install ok installed\nSection: admin\nArchitecture: all\nVersion: 1",
            }) + "\n");
            Put("usr/share/zoneinfo/UTC", "TZif\n");
            Put("var/lib/dpkg/info/zone-data.list", "/.\n/usr/share/zoneinfo\n/usr/share/zoneinfo/UTC\n");
            Put("lib/x86_64-linux-gnu/libc.so.6", File.ReadAllBytes(new Sysroot("/").Resolve("/lib/x86_64-linux-gnu/libc.so.6")!));
            Put("var/lib/dpkg/info/libc-fake:amd64.list", "/.\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n");
            Put("usr/sbin/helper-tool", "#!/bin/sh\n");
            Put("var/lib/dpkg/info/helper.list", "/.\n/usr/sbin/helper-tool\n");

            var plans = Carry(new DebianCarryOptions());
            Assert.Equal(new[] { "hello", "hello-data", "liblzma5", "zone-data" }, plans.Select(p => p.Package.Name));
            Assert.Equal("TZif\n", File.ReadAllText(InProject("/usr/share/zoneinfo/UTC")));
            Assert.False(File.Exists(InProject("/usr/sbin/helper-tool")));

            // All takes them too; even then the kernel's own libc.so.6 (an executable with a soname) is not carried.
            var all = Carry(new DebianCarryOptions { Scope = DebianDependencyScope.All });
            Assert.Contains(all, p => p.Package.Name == "libc-fake");
            Assert.True(File.Exists(InProject("/usr/sbin/helper-tool")));
            Assert.DoesNotContain(all.SelectMany(p => p.Planned), f => f.GuestPath.EndsWith("/libc.so.6", StringComparison.Ordinal));
        }

        // libcap.so.2 runs as a program too (PT_INTERP, main): in a library folder, with its soname, it is a library, and its
        // soname link is not carried (with -LinuxLinker that path is where its users' dependency copy goes).
        [Fact]
        public void AnExecutableWithASonameInALibraryFolderIsALibrary()
        {
            string? cap = new Sysroot("/").Resolve("/lib/x86_64-linux-gnu/libcap.so.2");
            if (cap == null)
            {
                return; // libcap2 is not installed here
            }
            string capFile = Path.GetFileName(cap);
            Put("lib/x86_64-linux-gnu/" + capFile, File.ReadAllBytes(cap));
            File.CreateSymbolicLink(Path.Combine(root, "lib/x86_64-linux-gnu/libcap.so.2"), capFile);
            Put("var/lib/dpkg/status", "Package: hello\nStatus: install ok installed\nSection: libs\nArchitecture: amd64\nVersion: 1\n");
            Put("var/lib/dpkg/info/hello.list", $"/.\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/{capFile}\n/lib/x86_64-linux-gnu/libcap.so.2\n");

            var files = Carry(new DebianCarryOptions()).SelectMany(p => p.Planned).ToList();
            Assert.Equal(DebianFileKind.Library, files.Single(f => f.SourcePath.EndsWith("/" + capFile, StringComparison.Ordinal) && f.Package == "hello").Kind);
            Assert.DoesNotContain(files, f => f.GuestPath == "/lib/x86_64-linux-gnu/libcap.so.2");
        }

        [Fact]
        public void ReportsABrokenListAsThatPackagesError()
        {
            Put("var/lib/dpkg/info/hello-data.list", "/.\n/usr/share/../../../../etc/passwd\n");
            var (carrier, database) = NewCarrier();
            var plans = carrier.Plan(new[] { database.Find("hello") }, new DebianCarryOptions());
            Assert.Equal(ErrorIds.DpkgDatabaseInvalid, plans.Single(p => p.Package.Name == "hello-data").Errors.Single().ErrorId);
            Assert.Contains(plans.Single(p => p.Package.Name == "hello").Planned, f => f.GuestPath == "/usr/bin/hello");
        }
    }
}
