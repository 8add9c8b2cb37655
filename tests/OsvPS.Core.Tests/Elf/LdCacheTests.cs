using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Elf;
using Xunit;

namespace OsvPS.Core.Tests.Elf
{
    /// <summary>ld.so.cache bytes laid out by hand from the format's description, in both layouts.</summary>
    public class LdCacheTests
    {
        private const int X8664 = 0x0303, I386 = 0x0003;

        private static byte[] NewFormat((int Flags, string Name, string Path)[] entries, out int stringsStart)
        {
            // Header (48 bytes), entries (24 each), then the strings; offsets count from the header.
            var strings = new MemoryStream();
            var offsets = new List<(int, int)>();
            int tableEnd = 48 + entries.Length * 24;
            foreach (var e in entries)
            {
                int name = tableEnd + (int)strings.Length;
                strings.Write(Encoding.ASCII.GetBytes(e.Name + "\0"));
                int path = tableEnd + (int)strings.Length;
                strings.Write(Encoding.ASCII.GetBytes(e.Path + "\0"));
                offsets.Add((name, path));
            }
            var b = new MemoryStream();
            var w = new BinaryWriter(b);
            w.Write(Encoding.ASCII.GetBytes("glibc-ld.so.cache1.1"));
            w.Write(entries.Length);
            w.Write((int)strings.Length);
            w.Write(new byte[4]);  // flags and padding
            w.Write(0);            // extension offset
            w.Write(new byte[12]); // unused
            for (int i = 0; i < entries.Length; i++)
            {
                w.Write(entries[i].Flags);
                w.Write(offsets[i].Item1);
                w.Write(offsets[i].Item2);
                w.Write(0);
                w.Write(0L);
            }
            stringsStart = tableEnd;
            w.Write(strings.ToArray());
            return b.ToArray();
        }

        [Fact]
        public void NewFormatKeepsX8664EntriesInOrder()
        {
            var data = NewFormat(new[]
            {
                (X8664, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"),
                (I386, "libz.so.1", "/lib/i386-linux-gnu/libz.so.1"),
                (X8664, "libz.so.1", "/usr/local/lib/libz.so.1"),
                (X8664, "libssl.so.3", "/lib/x86_64-linux-gnu/libssl.so.3"),
            }, out _);
            var cache = LdCache.Parse(data, "test");
            Assert.Equal(new[] { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/local/lib/libz.so.1" }, cache.Lookup("libz.so.1"));
            Assert.Equal("/lib/x86_64-linux-gnu/libssl.so.3", Assert.Single(cache.Lookup("libssl.so.3")));
            Assert.Empty(cache.Lookup("libnone.so"));
        }

        [Fact]
        public void OldFormatFollowedByTheNewOneIsRead()
        {
            var inner = NewFormat(new[] { (X8664, "libfoo.so.2", "/opt/lib/libfoo.so.2") }, out _);
            var b = new MemoryStream();
            var w = new BinaryWriter(b);
            w.Write(Encoding.ASCII.GetBytes("ld.so-1.7.0"));
            w.Write((byte)0);
            w.Write(1);                       // one old entry
            w.Write(X8664); w.Write(0); w.Write(0);
            while (b.Length % 8 != 0) w.Write((byte)0);
            w.Write(inner);
            var cache = LdCache.Parse(b.ToArray(), "test");
            Assert.Equal("/opt/lib/libfoo.so.2", Assert.Single(cache.Lookup("libfoo.so.2")));
        }

        [Fact]
        public void OldFormatAloneIsRead()
        {
            var b = new MemoryStream();
            var w = new BinaryWriter(b);
            w.Write(Encoding.ASCII.GetBytes("ld.so-1.7.0"));
            w.Write((byte)0);
            w.Write(2);
            // Strings follow the entries; offsets count from there.
            string strings = "libold.so.1\0/lib/libold.so.1\0lib32.so\0/lib32/lib32.so\0";
            w.Write(X8664); w.Write(0); w.Write(12);
            w.Write(I386); w.Write(29); w.Write(38);
            w.Write(Encoding.ASCII.GetBytes(strings));
            var cache = LdCache.Parse(b.ToArray(), "test");
            Assert.Equal("/lib/libold.so.1", Assert.Single(cache.Lookup("libold.so.1")));
            Assert.Empty(cache.Lookup("lib32.so"));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(10)]
        [InlineData(60)]
        public void DamagedCachesGiveNoEntriesNotCrashes(int keep)
        {
            var data = NewFormat(new[] { (X8664, "libz.so.1", "/lib/libz.so.1") }, out _);
            var cut = data.Take(keep).ToArray();
            Assert.Equal(0, LdCache.Parse(cut, "test").Count);
            var huge = (byte[])data.Clone();
            BitConverter.GetBytes(int.MaxValue).CopyTo(huge, 20); // absurd entry count
            Assert.Equal(0, LdCache.Parse(huge, "test").Count);
        }

        [Fact]
        public void TheMachinesCacheAgreesWithLdconfig()
        {
            var cache = LdCache.Load("/");
            var (_, listing) = Support.TestFiles.Run("/sbin/ldconfig", "-p");
            var x8664 = listing.Split('\n').Where(l => l.Contains("x86-64") && l.Contains("=>"))
                .Select(l => (Name: l.Trim().Split(' ')[0], Path: l.Substring(l.IndexOf("=> ", StringComparison.Ordinal) + 3).Trim())).ToList();
            Assert.NotEmpty(x8664);
            foreach (var (name, path) in x8664)
            {
                Assert.Contains(path, cache.Lookup(name));
            }
        }
    }
}
