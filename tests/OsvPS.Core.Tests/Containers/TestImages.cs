using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Tests.Support;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>Images made with umoci for the tests, and layers written here (System.Formats.Tar) for what no tool makes.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static class TestImages
    {
        public const string Tag = "1.0";
        /// <summary>The modification time of bin/hello and of the folder private.</summary>
        public static readonly DateTime Stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        /// <summary>
        /// A three-layer OCI layout made by umoci: (1) files, a hard link, an absolute and a relative symbolic link, a FIFO,
        /// a character device (as root), modes 0755/0600/0700; (2) a deleted file (a whiteout), a changed and a new one;
        /// (3) a layer added verbatim with an opaque folder; and a config with entrypoint, cmd, env and the rest.
        /// </summary>
        public static string Build(TempDir dir)
        {
            string layout = dir.Combine("layout"), bundle = dir.Combine("bundle");
            ImageTools.Run("umoci", "init", "--layout", layout);
            ImageTools.Run("umoci", "new", "--image", layout + ":" + Tag);
            ImageTools.Run("umoci", "unpack", "--image", layout + ":" + Tag, bundle);
            string rootfs = Path.Combine(bundle, "rootfs");
            void Write(string path, string text, UnixFileMode? mode = null)
            {
                string full = Path.Combine(rootfs, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                System.IO.File.WriteAllText(full, text);
                if (mode.HasValue) System.IO.File.SetUnixFileMode(full, mode.Value);
            }
            Write("bin/hello", "#!/bin/sh\necho hello\n", (UnixFileMode)0x1ED);
            ImageTools.Run("ln", Path.Combine(rootfs, "bin/hello"), Path.Combine(rootfs, "bin/hello2"));
            Write("etc/config", "cfg\n");
            System.IO.File.CreateSymbolicLink(Path.Combine(rootfs, "etc/abs"), "/etc/config");
            System.IO.File.CreateSymbolicLink(Path.Combine(rootfs, "etc/rel"), "config");
            Write("etc/secret", "s3cret\n", (UnixFileMode)0x180);
            Write("data/keep.txt", "v1\n");
            Write("data/old/a.txt", "a\n");
            Write("data/old/b.txt", "b\n");
            Write("private/p.txt", "p\n");
            System.IO.File.SetUnixFileMode(Path.Combine(rootfs, "private"), (UnixFileMode)0x1C0);
            System.IO.File.SetLastWriteTimeUtc(Path.Combine(rootfs, "bin/hello"), Stamp);
            Directory.SetLastWriteTimeUtc(Path.Combine(rootfs, "private"), Stamp);
            ImageTools.Run("mkfifo", Path.Combine(rootfs, "etc/fifo"));
            if (Environment.UserName == "root") ImageTools.Run("mknod", Path.Combine(rootfs, "etc/null"), "c", "1", "3");
            var random = new byte[300_000];
            new Random(7).NextBytes(random);
            System.IO.File.WriteAllBytes(Path.Combine(rootfs, "data/random.bin"), random);
            ImageTools.Run("umoci", "repack", "--image", layout + ":" + Tag, bundle);
            // A repack diffs against what the bundle was unpacked from: the next layer needs a fresh bundle.
            Directory.Delete(bundle, recursive: true);
            ImageTools.Run("umoci", "unpack", "--image", layout + ":" + Tag, bundle);

            System.IO.File.Delete(Path.Combine(rootfs, "etc/config"));
            Write("data/keep.txt", "v2\n");
            Write("data/new.txt", "new\n");
            ImageTools.Run("umoci", "repack", "--image", layout + ":" + Tag, bundle);

            string opaque = dir.Combine("opaque.tar");
            WriteTar(opaque, t =>
            {
                t.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "data/old/") { Mode = (UnixFileMode)0x1ED });
                t.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "data/old/.wh..wh..opq"));
                t.WriteEntry(Member("data/old/c.txt", "c\n"));
            });
            ImageTools.Run("umoci", "raw", "add-layer", "--image", layout + ":" + Tag, opaque);
            ImageTools.Run("umoci", "config", "--image", layout + ":" + Tag,
                "--config.entrypoint", "/bin/hello", "--config.cmd", "world", "--config.env", "GREETING=hi", "--config.env", "PATH=/bin",
                "--config.workingdir", "/data", "--config.user", "1000:1000", "--config.exposedports", "8080/tcp", "--config.volume", "/data",
                "--config.label", "org.example.kind=test", "--config.stopsignal", "SIGTERM");
            return layout;
        }

        /// <summary>A one-layer layout made by umoci (one file, <c>base.txt</c>), to put a hostile layer on.</summary>
        public static string BuildBase(TempDir dir)
        {
            string folder = dir.Combine("base-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            string layout = Path.Combine(folder, "layout"), bundle = Path.Combine(folder, "bundle");
            ImageTools.Run("umoci", "init", "--layout", layout);
            ImageTools.Run("umoci", "new", "--image", layout + ":" + Tag);
            ImageTools.Run("umoci", "unpack", "--image", layout + ":" + Tag, bundle);
            System.IO.File.WriteAllText(Path.Combine(bundle, "rootfs", "base.txt"), "base\n");
            Directory.CreateDirectory(Path.Combine(bundle, "rootfs", "data"));
            System.IO.File.WriteAllText(Path.Combine(bundle, "rootfs", "data", "d.txt"), "d\n");
            ImageTools.Run("umoci", "repack", "--image", layout + ":" + Tag, bundle);
            return layout;
        }

        public static PaxTarEntry Member(string name, string text, int mode = 0x1A4)
            => new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)), Mode = (UnixFileMode)mode };

        public static PaxTarEntry Link(TarEntryType type, string name, string target) => new PaxTarEntry(type, name) { LinkName = target };

        public static void WriteTar(string path, Action<TarWriter> write)
        {
            using var file = System.IO.File.Create(path);
            using var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true);
            write(tar);
        }

        /// <summary>Puts an uncompressed layer written by <paramref name="write"/> on top of the layout's image, by hand.</summary>
        public static void AddRawLayer(TempDir dir, string layout, Action<TarWriter> write)
        {
            string tar = dir.Combine("layer-" + Guid.NewGuid().ToString("N") + ".tar");
            WriteTar(tar, write);
            string diffId = ImageTools.Sha256(System.IO.File.ReadAllBytes(tar));
            ImageTools.AddLayer(layout, tar, "application/vnd.oci.image.layer.v1.tar", diffId);
        }
    }
}
