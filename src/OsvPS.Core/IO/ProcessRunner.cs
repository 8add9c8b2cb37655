using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;

namespace OsvPS.Core.IO
{
    /// <summary>Runs a program with an argument list (never through a shell) and collects its output.</summary>
    internal static class ProcessRunner
    {
        public sealed class Result
        {
            public int ExitCode { get; internal set; }
            public string Output { get; internal set; } = "";
            public string Error { get; internal set; } = "";
        }

        public static Result Run(string program, IEnumerable<string> arguments, CancellationToken cancellation, TimeSpan? timeout = null)
        {
            var info = new ProcessStartInfo(program, arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            var output = new StringBuilder();
            var error = new StringBuilder();
            using (var process = new Process { StartInfo = info })
            {
                process.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
                process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (error) { error.AppendLine(e.Data); } } };
                process.Start();
                process.StandardInput.Close();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromHours(1));
                while (!process.WaitForExit(100))
                {
                    if (cancellation.IsCancellationRequested || DateTime.UtcNow > deadline)
                    {
                        try
                        {
                            process.Kill();
                        }
                        catch (InvalidOperationException)
                        {
                        }
                        process.WaitForExit();
                        cancellation.ThrowIfCancellationRequested();
                        throw new TimeoutException($"{program} did not finish within {timeout}.");
                    }
                }
                process.WaitForExit();
                return new Result { ExitCode = process.ExitCode, Output = output.ToString(), Error = error.ToString() };
            }
        }
    }
}
