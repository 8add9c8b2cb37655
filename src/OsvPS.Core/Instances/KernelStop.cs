using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;

namespace OsvPS.Core.Instances
{
    /// <summary>One virtual CPU as QEMU's monitor shows it (<c>info registers -a</c>): its IF flag (RFLAGS bit 9), and whether it sits in HLT.</summary>
    internal readonly record struct VirtualCpu(int Index, bool InterruptsOn, bool Halted)
    {
        /// <summary>
        /// The CPUs of QEMU's <c>info registers -a</c> text: a "CPU#N" line, then "RIP=... RFL=XXXXXXXX [...] CPL=0 II=0 A20=1
        /// SMM=0 HLT=1" among the registers. CPUs whose flags cannot be read are left out.
        /// </summary>
        public static List<VirtualCpu> Parse(string text)
        {
            var cpus = new List<VirtualCpu>();
            int? index = null;
            foreach (string raw in text.Split('\n'))
            {
                string line = raw.Trim();
                if (line.StartsWith("CPU#", StringComparison.Ordinal))
                {
                    index = int.TryParse(line.Substring(4), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : (int?)null;
                    continue;
                }
                if (index == null)
                {
                    continue;
                }
                string? flags = Field(line, "RFL=");
                string? halt = Field(line, "HLT=");
                if (flags != null && halt != null && ulong.TryParse(flags, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong rflags))
                {
                    cpus.Add(new VirtualCpu(index.Value, (rflags & 0x200) != 0, halt == "1"));
                    index = null;
                }
            }
            return cpus;
        }

        private static string? Field(string line, string name)
        {
            int at = line.IndexOf(name, StringComparison.Ordinal);
            if (at < 0 || (at > 0 && line[at - 1] != ' '))
            {
                return null;
            }
            int start = at + name.Length, end = line.IndexOf(' ', start);
            return end < 0 ? line.Substring(start) : line.Substring(start, end - start);
        }
    }

    /// <summary>
    /// Tells a guest whose OSv kernel has stopped from one that runs, from the virtual CPUs' state, which no program can
    /// fake for long: a live OSv never keeps a CPU's interrupts off for long (its scheduler runs on the timer's
    /// interrupt), and every way OSv stops itself turns them off first: abort() and assertions (runtime.cc:
    /// <c>arch::irq_disable()</c>, then a halt or, for an abort during an abort, a busy loop for ever), osv::halt()
    /// (arch/x64/power.cc: <c>halt_no_interrupts</c>). That is how a kernel that died without powering off is seen: a
    /// QEMU that stays up, maybe spinning a CPU at 100%, with nothing on the console but OSv's last words.
    /// </summary>
    internal static class KernelStop
    {
        /// <summary>How long a CPU's interrupts must stay off, through every sample, before the kernel counts as stopped.</summary>
        public static readonly TimeSpan Confirm = TimeSpan.FromSeconds(3);
        private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(500);

        /// <summary>
        /// Null while the guest runs; else why its kernel is taken as stopped. <paramref name="sample"/> gives the monitor's
        /// <c>info registers -a</c> text, or null when it cannot be read now or the guest is no longer running (a power-off
        /// on its way turns interrupts off too: then the check gives up). One sample when every CPU has its interrupts on
        /// (the usual case); a CPU found with them off is watched for <see cref="Confirm"/>, and the kernel is stopped when
        /// that CPU never turned them on in any sample.
        /// </summary>
        public static string? Check(Func<string?> sample, CancellationToken cancellation)
        {
            var first = Read(sample);
            var suspects = first?.Where(c => !c.InterruptsOn).Select(c => c.Index).ToHashSet();
            if (suspects == null || suspects.Count == 0)
            {
                return null;
            }
            bool halted = true;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Confirm)
            {
                if (cancellation.WaitHandle.WaitOne(Every))
                {
                    return null;
                }
                var now = Read(sample);
                if (now == null)
                {
                    return null; // the monitor went away: QEMU is ending, and its end says the rest
                }
                suspects.IntersectWith(now.Where(c => !c.InterruptsOn).Select(c => c.Index));
                if (suspects.Count == 0)
                {
                    return null;
                }
                halted &= now.Where(c => suspects.Contains(c.Index)).All(c => c.Halted);
            }
            string which = string.Join(", ", suspects.OrderBy(i => i).Select(i => i.ToString(CultureInfo.InvariantCulture)));
            return string.Format(CultureInfo.InvariantCulture,
                "OSv's kernel stopped: virtual CPU {0} kept its interrupts off for {1:0} s ({2}), which a running OSv never does",
                which, Confirm.TotalSeconds, halted ? "halted" : "in a busy loop");
        }

        /// <summary>
        /// True once OSv has booted as far as running the command line: its console shows OSv's "Cmdline: " line (printed
        /// before any program starts). Until then a CPU may rightly keep its interrupts off (early boot, CPUs not yet started).
        /// </summary>
        public static bool Booted(string consolePath)
        {
            try
            {
                using (var stream = IO.UnixFile.OpenRegular(consolePath))
                using (var reader = new System.IO.StreamReader(stream))
                {
                    var buffer = new char[64 * 1024];
                    int read = reader.ReadBlock(buffer, 0, buffer.Length);
                    string head = new string(buffer, 0, read);
                    return head.StartsWith("Cmdline: ", StringComparison.Ordinal) || head.Contains("\nCmdline: ");
                }
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException || e is Errors.OsvException)
            {
                return false;
            }
        }

        // Each instance is looked at this often at most (a follower looks every few milliseconds).
        private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(1);
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> LastLook =
            new System.Collections.Concurrent.ConcurrentDictionary<string, DateTime>(StringComparer.Ordinal);

        /// <summary>True when instance <paramref name="key"/> is due for a look (at most one a second).</summary>
        public static bool Due(string key)
        {
            var now = DateTime.UtcNow;
            if (LastLook.TryGetValue(key, out var last) && now - last < LookEvery)
            {
                return false;
            }
            LastLook[key] = now;
            return true;
        }

        private static List<VirtualCpu>? Read(Func<string?> sample)
        {
            string? text = sample();
            if (text == null)
            {
                return null;
            }
            var cpus = VirtualCpu.Parse(text);
            return cpus.Count > 0 ? cpus : null;
        }
    }
}
