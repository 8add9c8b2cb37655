using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Rofs;
using OsvPS.Core.Tests.Support;
using Xunit;

namespace OsvPS.Core.Tests.Rofs
{
    public class RofsWriterTests
    {
        private static TreeFile Bytes(byte[] b) => new TreeFile(new BytesSource(b, "test"));
        private static TreeFile Text(string s) => Bytes(Encoding.UTF8.GetBytes(s));

        private static byte[] Write(ImageTree tree)
        {
            var writer = new RofsWriter(tree);
            var sink = new MemorySink();
            writer.Write(sink, CancellationToken.None);
            Assert.Equal(writer.TotalBytes, sink.Position);
            return sink.ToArray();
        }

        private static ImageTree Sample()
        {
            var t = new ImageTree();
            t.Add("/hello", Text("hi"));
            t.Add("/empty", Bytes(new byte[0]));
            t.Add("/one", Bytes(new byte[] { 42 }));
            t.Add("/exact512", Bytes(Enumerable.Range(0, 512).Select(i => (byte)i).ToArray()));
            t.Add("/exact1024", Bytes(Enumerable.Range(0, 1024).Select(i => (byte)(i * 3)).ToArray()));
            t.Add("/usr/lib/libfoo.so.1", Text(new string('x', 1500)));
            t.Add("/usr/lib/deep/er/still/file.txt", Text("deep"));
            t.Add("/usr/share/empty-dir", new TreeDirectory());
            t.Add("/usr/lib/libfoo.so", new TreeSymlink("libfoo.so.1", "test"));
            t.Add("/etc/abs", new TreeSymlink("/usr/lib/libfoo.so.1", "test"));
            t.Add("/Ünïcødé/名前.txt", Text("名前"));
            t.Add("/B", Text("upper"));
            t.Add("/a", Text("lower"));
            return t;
        }

        [Fact]
        public void IndependentReaderSeesEveryNodeWithItsContent()
        {
            var fs = new RofsReader(Write(Sample()));
            Assert.Equal("hi", Encoding.UTF8.GetString(fs.Nodes["/hello"].Content!));
            Assert.Empty(fs.Nodes["/empty"].Content!);
            Assert.Equal(new byte[] { 42 }, fs.Nodes["/one"].Content);
            Assert.Equal(Enumerable.Range(0, 512).Select(i => (byte)i), fs.Nodes["/exact512"].Content!);
            Assert.Equal(1024, fs.Nodes["/exact1024"].Content!.Length);
            Assert.Equal(1500, fs.Nodes["/usr/lib/libfoo.so.1"].Content!.Length);
            Assert.Equal("deep", Encoding.UTF8.GetString(fs.Nodes["/usr/lib/deep/er/still/file.txt"].Content!));
            Assert.Equal(0x4000u, fs.Nodes["/usr/share/empty-dir"].Mode);
            Assert.Equal("libfoo.so.1", fs.Nodes["/usr/lib/libfoo.so"].Target);
            Assert.Equal("/usr/lib/libfoo.so.1", fs.Nodes["/etc/abs"].Target);
            Assert.Equal("名前", Encoding.UTF8.GetString(fs.Nodes["/Ünïcødé/名前.txt"].Content!));
            Assert.Equal(2ul, fs.Symlinks);
            Assert.Equal((ulong)fs.Nodes.Count, fs.Inodes);
            Assert.Equal(fs.Inodes - 1, fs.DirectoryEntries);
        }

        [Fact]
        public void ChildrenAreInOrdinalOrder()
        {
            var fs = new RofsReader(Write(Sample()));
            var top = fs.Order.Where(p => p.Count(c => c == '/') == 1 && p != "/").ToList();
            Assert.Equal(top.OrderBy(p => p, StringComparer.Ordinal), top);
            Assert.True(top.IndexOf("/B") < top.IndexOf("/a"));
        }

        [Fact]
        public void EmptyFileTakesNoBlockAndFileDataIsPacked()
        {
            var t = new ImageTree();
            t.Add("/e1", Bytes(new byte[0]));
            t.Add("/e2", Bytes(new byte[0]));
            t.Add("/x", Bytes(new byte[513]));
            var writer = new RofsWriter(t);
            // superblock + 2 blocks of /x + one structure block
            Assert.Equal(4 * 512, writer.TotalBytes);
            var fs = new RofsReader(Write(t));
            Assert.Equal(3ul, fs.FirstStructureBlock);
        }

        [Fact]
        public void EmptyTreeIsJustTheRoot()
        {
            var fs = new RofsReader(Write(new ImageTree()));
            Assert.Equal(1ul, fs.Inodes);
            Assert.Equal(0ul, fs.DirectoryEntries);
        }

        [Fact]
        public void SameTreeGivesSameBytes() => Assert.Equal(Write(Sample()), Write(Sample()));

        [Fact]
        public void LaterAdditionsReplaceEarlierOnes()
        {
            var t = new ImageTree();
            t.Add("/etc/hosts", Text("first"));
            t.Add("/etc/hosts", Text("second"));
            t.Add("/lib", Text("a file"));
            t.Add("/lib/x.so", Text("now a folder"));
            var fs = new RofsReader(Write(t));
            Assert.Equal("second", Encoding.UTF8.GetString(fs.Nodes["/etc/hosts"].Content!));
            Assert.Equal(0x4000u, fs.Nodes["/lib"].Mode);
        }

        [Fact]
        public void TenThousandFiles()
        {
            var t = new ImageTree();
            for (int i = 0; i < 10_000; i++)
            {
                t.Add($"/d{i % 37}/f{i}", Text("content " + i));
            }
            var fs = new RofsReader(Write(t));
            Assert.Equal(10_000 + 37 + 1, fs.Nodes.Count);
            Assert.Equal("content 9999", Encoding.UTF8.GetString(fs.Nodes["/d9999/f9999".Replace("d9999", "d" + 9999 % 37)].Content!));
        }

        [Fact]
        public void NameLongerThan65535BytesIsRefused()
        {
            var t = new ImageTree();
            t.Add("/" + new string('n', 65536), Text("x"));
            var e = Assert.Throws<OsvException>(() => new RofsWriter(t));
            Assert.Equal("NameTooLong", e.ErrorId);
        }

        [Fact]
        public void SourceThatShrinksIsDetected()
        {
            using var dir = new TempDir();
            string path = dir.File("f", "12345");
            var t = new ImageTree();
            t.Add("/f", new TreeFile(new HostFileSource(path, 5, File.GetLastWriteTimeUtc(path))));
            var writer = new RofsWriter(t);
            File.WriteAllText(path, "12");
            var e = Assert.Throws<OsvException>(() => writer.Write(new MemorySink(), CancellationToken.None));
            Assert.Equal("FileChangedDuringBuild", e.ErrorId);
        }
    }
}
