using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.Elf;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances
{
    /// <summary>
    /// Where OSv keeps its kernel log in the guest's memory. OSv's debug(), debugf() and kprintf() (core/debug.cc)
    /// always append to a ring buffer, <c>debug_buffer</c> (<c>debug_buffer_idx</c> the next byte, <c>debug_buffer_full</c>
    /// set once it wrapped), and copy to the console only under --verbose; a program's writes to its descriptors or to
    /// /dev/console never reach it. The exit status (core/app.cc "program X returned N", runtime.cc "program exited
    /// with status N") and the orderly end (core/shutdown.cc "Powering off.") are logged there, so the host reads them
    /// from a channel the guest program does not write to. The kernel ELF exports these symbols (OSv builds keep
    /// symbols visible unless built with conf_hide_symbols); physical address = symbol - OSV_KERNEL_VM_SHIFT.
    /// </summary>
    internal sealed class KernelLogSymbols
    {
        private KernelLogSymbols(ulong buffer, ulong size, ulong index, ulong full)
        {
            Buffer = buffer;
            Size = size;
            Index = index;
            Full = full;
        }

        /// <summary>Physical addresses of the buffer, its index (u32) and its wrapped flag (u8); the buffer's size.</summary>
        public ulong Buffer { get; }
        public ulong Size { get; }
        public ulong Index { get; }
        public ulong Full { get; }

        /// <summary>The symbols of <paramref name="kernelElf"/>, or null when it does not export them all (a kernel with hidden symbols).</summary>
        public static KernelLogSymbols? Read(string kernelElf)
        {
            DynamicSymbols symbols;
            try
            {
                symbols = DynamicSymbols.Read(kernelElf);
            }
            catch (OsvException)
            {
                return null;
            }
            var shift = symbols.ValueOf("OSV_KERNEL_VM_SHIFT");
            var buffer = symbols.ValueOf("debug_buffer");
            var index = symbols.ValueOf("debug_buffer_idx");
            var full = symbols.ValueOf("debug_buffer_full");
            if (shift == null || buffer == null || index == null || full == null || buffer.Value.Size == 0 || buffer.Value.Size > 16 << 20 ||
                buffer.Value.Value < shift.Value.Value || index.Value.Value < shift.Value.Value || full.Value.Value < shift.Value.Value)
            {
                return null;
            }
            ulong s = shift.Value.Value;
            return new KernelLogSymbols(buffer.Value.Value - s, buffer.Value.Size, index.Value.Value - s, full.Value.Value - s);
        }

        /// <summary>The form kept in an instance's state file.</summary>
        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "buffer=0x{0:x},size=0x{1:x},index=0x{2:x},full=0x{3:x}", Buffer, Size, Index, Full);

        public static KernelLogSymbols? Parse(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return null;
            }
            var parts = text!.Split(',').Select(p => p.Split('=')).Where(p => p.Length == 2 && p[1].StartsWith("0x", StringComparison.Ordinal))
                .ToDictionary(p => p[0], p => ulong.Parse(p[1].Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            return parts.TryGetValue("buffer", out ulong b) && parts.TryGetValue("size", out ulong s) && parts.TryGetValue("index", out ulong i) && parts.TryGetValue("full", out ulong f)
                ? new KernelLogSymbols(b, s, i, f) : null;
        }

        /// <summary>
        /// Reads the kernel log out of a guest that has shut down (QEMU paused by -no-shutdown) and writes it as text
        /// to <paramref name="logPath"/>; false when what memory holds is not a log (a kernel ELF from another build).
        /// </summary>
        public bool Harvest(QmpClient qmp, string folder, string logPath)
        {
            string part = Path.Combine(folder, ".kernel-log." + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                byte[] Peek(ulong address, ulong size)
                {
                    qmp.SavePhysicalMemory(address, size, part);
                    using (var stream = UnixFile.OpenRegular(part))
                    {
                        var bytes = new byte[size];
                        int read = 0, n;
                        while (read < bytes.Length && (n = stream.Read(bytes, read, bytes.Length - read)) > 0)
                        {
                            read += n;
                        }
                        return read == bytes.Length ? bytes : throw new IOException("QEMU saved less of the guest's memory than asked");
                    }
                }
                string? text = ReadText(Peek);
                if (text == null)
                {
                    return false;
                }
                AtomicFile.WriteAllText(logPath, text);
                return true;
            }
            finally
            {
                AtomicFile.TryDelete(part);
            }
        }

        /// <summary>
        /// The log as the guest's memory holds it now, oldest line first, read through <paramref name="peek"/> (physical
        /// address, byte count); null when what memory holds is not a log (a kernel ELF from another build).
        /// </summary>
        public string? ReadText(Func<ulong, ulong, byte[]> peek)
        {
            byte[] buffer = peek(Buffer, Size);
            uint index = BitConverter.ToUInt32(peek(Index, 4), 0);
            byte full = peek(Full, 1)[0];
            if (index > Size || full > 1)
            {
                return null;
            }
            byte[] log = full == 1 ? buffer.Skip((int)index).Concat(buffer.Take((int)index)).ToArray() : buffer.Take((int)index).ToArray();
            string text = Encoding.UTF8.GetString(log);
            // OSv's first lines (arch/x64/smp.cc, fs/vfs): a buffer without them is not this kernel's log, unless it
            // wrapped (its first lines are overwritten then; its flag and index were read where the ELF says).
            return full == 0 && !text.Contains(" CPUs detected") && !text.Contains("VFS: mounting") ? null : text;
        }
    }

    /// <summary>What OSv's kernel log says of a run: whether OSv powered off in order, and the program's exit status.</summary>
    internal sealed class KernelLogReport
    {
        private KernelLogReport(bool orderly, int? status, string? statusLine, string? lastLine)
        {
            Orderly = orderly;
            Status = status;
            StatusLine = statusLine;
            LastLine = lastLine;
        }

        /// <summary>
        /// OSv shut down through core/shutdown.cc ("Powering off."), or its programs all returned under --noshutdown
        /// ("main() returned."): no abort, assertion, fault or load failure.
        /// </summary>
        public bool Orderly { get; }
        /// <summary>The last exit status OSv logged (a program's main returning non-zero, or exit()), else null (0 when orderly).</summary>
        public int? Status { get; }
        public string? StatusLine { get; }
        /// <summary>The log's last line, for a failure's reason.</summary>
        public string? LastLine { get; }

        // core/shutdown.cc, before every orderly power-off.
        private const string PoweringOff = "Powering off.";

        /// <summary>
        /// loader.cc under --noshutdown, once the command line's programs have all returned (the guest stays up): only
        /// OSv's loader writes it to the kernel log.
        /// </summary>
        public const string MainReturned = "main() returned.";

        /// <summary>True when <paramref name="text"/>, a kernel log, says the guest's programs have all returned.</summary>
        public static bool SaysMainReturned(string text) => text.Split('\n').Any(l => l.TrimEnd('\r') == MainReturned);

        public static KernelLogReport Parse(string text)
        {
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
            int? status = null;
            string? statusLine = null;
            foreach (string line in lines)
            {
                // The same lines OSv prints on the console under --verbose; here each is a whole line of its own.
                if (GuestExitStatus.TryParse(line, out int code, out string shown, out string before) && before.Length == 0)
                {
                    status = code;
                    statusLine = shown;
                }
            }
            return new KernelLogReport(lines.Contains(PoweringOff) || lines.Contains(MainReturned), status, statusLine, lines.LastOrDefault());
        }

        /// <summary>Reads the log an instance's run left, or null when there is none.</summary>
        public static KernelLogReport? ReadFrom(string logPath)
        {
            try
            {
                return File.Exists(logPath) ? Parse(File.ReadAllText(logPath)) : null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
