using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Qemu;
using OsvPS.Core.IO;

namespace OsvPS.Core.Instances.Qemu
{
    /// <summary>Starts QEMU for an instance folder and reads back what its process left there.</summary>
    internal static class QemuLauncher
    {
        public const string OverlayFile = "disk.qcow2";
        public const string ConsoleFile = "console.log";
        /// <summary>The console of the run before, kept when an instance is started again under its name.</summary>
        public const string PreviousConsoleFile = "console.previous.log";
        public const string MonitorFile = "osv.monitor";
        public const string PidFile = "qemu.pid";
        public const string LogFile = "qemu.log";
        /// <summary>Written by the shell that waits on a background QEMU: its exit status, in the shell's encoding (128 + N for signal N).</summary>
        public const string ExitFile = "qemu.exit";
        /// <summary>The kernel and its command line for a kernel boot, read by QEMU with -readconfig (owner-only).</summary>
        public const string KernelConfigFile = "kernel.cfg";

        public static readonly string[] RunFiles =
        {
            OverlayFile, ConsoleFile, MonitorFile, PidFile, LogFile, ExitFile, ExitFile + ".tmp", KernelConfigFile,
            KernelLogHarvest.LogFile, KernelLogHarvest.LogFile + ".unreadable",
        };

        /// <summary>
        /// Starts QEMU. Attached runs die with the caller (a parent-death signal) and the caller sees the
        /// exit code; background runs get a session of their own, so closing the caller's terminal does
        /// not take them down, under a shell that waits on QEMU and writes its status to
        /// <see cref="ExitFile"/>, so how they ended is known whoever looks later.
        /// </summary>
        public static Process Launch(string qemu, IReadOnlyList<string> arguments, string folder, bool attached)
        {
            string program = qemu;
            var args = new List<string>(arguments);
            string? setpriv = attached ? HostProcess.Which("setpriv") : null;
            if (attached && setpriv != null)
            {
                args.InsertRange(0, new[] { "--pdeathsig", "KILL", "--", qemu });
                program = setpriv;
            }
            else if (!attached)
            {
                // $0 is QEMU and "$@" its arguments, so no argument is ever read by the shell.
                const string Script = "\"$0\" \"$@\"; s=$?; printf %s \"$s\" > " + ExitFile + ".tmp && mv -f " + ExitFile + ".tmp " + ExitFile;
                args.InsertRange(0, new[] { "-c", Script, qemu });
                program = "/bin/sh";
                if (HostProcess.Which("setsid") is string setsid)
                {
                    args.Insert(0, program);
                    program = setsid;
                }
            }
            var info = new ProcessStartInfo(program, args)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var log = new StreamWriter(new FileStream(Path.Combine(folder, LogFile), FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            bool closed = false;
            // Output can still arrive after the exit handler closed the log: it is dropped, never written
            // to a closed stream (an exception there would end the whole PowerShell process).
            DataReceivedEventHandler append = (_, e) =>
            {
                if (e.Data != null)
                {
                    lock (log)
                    {
                        if (!closed)
                        {
                            try
                            {
                                log.WriteLine(e.Data);
                            }
                            catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException)
                            {
                                closed = true;
                            }
                        }
                    }
                }
            };
            process.OutputDataReceived += append;
            process.ErrorDataReceived += append;
            process.Exited += (_, __) =>
            {
                // Let the last lines of stderr arrive before closing the log.
                Thread.Sleep(50);
                lock (log)
                {
                    closed = true;
                    log.Dispose();
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        /// <summary>QEMU's own process id from its pid file (the launched process may be the shell waiting on it).</summary>
        public static int? ReadPid(string folder)
        {
            try
            {
                string text = File.ReadAllText(Path.Combine(folder, PidFile)).Trim();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : (int?)null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>The status the waiting shell wrote, or null when it has not (yet, or ever).</summary>
        public static (int Status, DateTime When)? ReadExit(string folder)
        {
            string path = Path.Combine(folder, ExitFile);
            try
            {
                string text = File.ReadAllText(path).Trim();
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int status))
                {
                    return (status, File.GetLastWriteTimeUtc(path));
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
            }
            return null;
        }

        /// <summary>What QEMU printed, its last lines, trimmed (empty when nothing).</summary>
        public static string ReadLog(string folder)
        {
            string path = Path.Combine(folder, LogFile);
            for (int i = 0; i < 10; i++)
            {
                try
                {
                    using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                    using (var r = new StreamReader(s))
                    {
                        string text = r.ReadToEnd().Trim();
                        if (text.Length > 0)
                        {
                            return text.Length > 2000 ? text.Substring(text.Length - 2000) : text;
                        }
                    }
                }
                catch (IOException)
                {
                }
                Thread.Sleep(20);
            }
            return "";
        }

        // The monitor socket lives in the instance's own 0700 folder. A Unix socket path holds at most 107
        // bytes; for a deep CAPSTAN_ROOT it goes to /tmp/osvps-<uid>, a folder checked to be this user's
        // alone: QMP is root over the guest and over QEMU (migrate exec: runs commands as its user).
        public static string MonitorPath(string folder)
        {
            string path = Path.Combine(folder, MonitorFile);
            if (Encoding.UTF8.GetByteCount(path) <= 100)
            {
                return path;
            }
            string shared = HostProcess.PrivateFolder(Path.Combine(Path.GetTempPath(), "osvps-" + HostProcess.UserId.ToString(CultureInfo.InvariantCulture)));
            using (var sha = System.Security.Cryptography.SHA256.Create())
            {
                string hash = BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(folder))).Replace("-", "").Substring(0, 16).ToLowerInvariant();
                return Path.Combine(shared, hash + ".monitor");
            }
        }

        public static void CreateOverlayWithQemuImg(string overlay, string image, Disk.DiskFormat format, CancellationToken cancellation)
        {
            string qemuImg = ToolLocator.Find("qemu-img");
            var result = ProcessRunner.Run(qemuImg, new[] { "create", "-q", "-f", "qcow2", "-F", format.ToString().ToLowerInvariant(), "-b", image, overlay }, cancellation);
            if (result.ExitCode != 0)
            {
                throw new OsvException(ErrorIds.OverlayFailed, OsvErrorKind.InvalidResult, $"qemu-img could not create the overlay: {result.Error.Trim()}", overlay);
            }
        }
    }
}
