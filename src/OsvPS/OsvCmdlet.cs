using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using OsvPS.Core.Errors;

namespace OsvPS
{
    /// <summary>
    /// Base of every OsvPS cmdlet: cancellation on Ctrl+C, progress and error mapping in one place.
    /// </summary>
    public abstract class OsvCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource cancellation = new CancellationTokenSource();

        /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken CancellationToken => cancellation.Token;

        protected override void StopProcessing() => cancellation.Cancel();

        /// <summary>Per-item failure: report it and let the pipeline go on.</summary>
        protected void WriteFailure(Exception exception, object? target) => WriteError(ErrorMap.ToErrorRecord(exception, target));

        /// <summary>Whole-call failure.</summary>
        protected void ThrowFailure(Exception exception, object? target) => ThrowTerminatingError(ErrorMap.ToErrorRecord(exception, target));

        /// <summary>Runs <paramref name="action"/> for one pipeline item; a failure becomes a non-terminating error.</summary>
        protected void ForItem(object? target, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is OsvException || e is System.IO.IOException || e is UnauthorizedAccessException || e is ArgumentException)
            {
                WriteFailure(e, target);
            }
        }

        /// <summary>
        /// A program that failed inside the guest is a failure outside it: one error record, with the
        /// failure's own id (GuestProgramFailed, GuestProgramNotFound, QemuCrashed, ...) and the instance as
        /// target. A Crashed instance (QEMU killed or crashed) is one too.
        /// </summary>
        protected void WriteGuestFailure(OsvPS.Core.Models.OsvInstance instance)
        {
            if (instance.State == OsvPS.Core.Models.InstanceState.Failed || instance.State == OsvPS.Core.Models.InstanceState.Crashed)
            {
                string what = instance.State == OsvPS.Core.Models.InstanceState.Crashed ? "crashed" : instance.FailureId == ErrorIds.QemuFailed ? "did not start" : "failed";
                string subject = instance.State == OsvPS.Core.Models.InstanceState.Failed && instance.FailureId != ErrorIds.QemuFailed ? $"the program in instance '{instance.Name}'" : $"instance '{instance.Name}'";
                var failure = new OsvException(instance.FailureId ?? "GuestFailed", OsvErrorKind.InvalidResult,
                    $"{subject} {what}: {instance.Reason}", instance);
                WriteError(new ErrorRecord(failure, failure.ErrorId, ErrorCategory.InvalidResult, instance));
            }
        }

        /// <summary>
        /// The files named by <paramref name="paths"/> (wildcards unless <paramref name="literal"/>). A path that
        /// resolves to nothing, or is not a valid wildcard pattern, is that input's error, and the rest go on.
        /// </summary>
        protected List<string> ResolveInputFiles(IEnumerable<string> paths, bool literal)
        {
            var files = new List<string>();
            foreach (string path in paths)
            {
                if (literal)
                {
                    files.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
                    continue;
                }
                try
                {
                    files.AddRange(GetResolvedProviderPathFromPSPath(path, out _));
                }
                catch (WildcardPatternException e)
                {
                    WriteFailure(new OsvException("BinaryPathInvalid", OsvErrorKind.InvalidArgument,
                        $"'{path}' is not a valid wildcard pattern ({e.Message}); name such a file with -LiteralPath.", path, e), path);
                }
                catch (Exception e) when (e is RuntimeException || e is ArgumentException || e is System.IO.IOException)
                {
                    WriteFailure(new OsvException("BinaryNotFound", OsvErrorKind.ObjectNotFound, e.Message, path, e), path);
                }
            }
            return files;
        }

        /// <summary>A provider path for a user-given path that need not exist yet.</summary>
        protected string ResolveNewPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

        /// <summary>A PowerShell hashtable as a string dictionary (env variables and the like).</summary>
        protected static IReadOnlyDictionary<string, string>? ToStringDictionary(Hashtable? table)
        {
            if (table == null)
            {
                return null;
            }
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in table)
            {
                result[LanguagePrimitives.ConvertTo<string>(entry.Key)] = entry.Value == null ? "" : LanguagePrimitives.ConvertTo<string>(entry.Value);
            }
            return result;
        }

        /// <summary>The repository's images matching a wildcard <paramref name="name"/>.</summary>
        protected List<OsvPS.Core.Models.OsvImage> MatchImages(OsvPS.Core.Repository.CapstanRepository repository, string name)
            => MatchByName(repository.GetImages(), i => i.Name, name, "ImageNotFound", $"there is no image '{name}' in {repository.ImagesPath}.");

        /// <summary>
        /// The items whose name matches the wildcard <paramref name="pattern"/>; a plain name that matches
        /// nothing is reported as <paramref name="errorId"/> (a wildcard that matches nothing is not an error).
        /// </summary>
        protected List<T> MatchByName<T>(IEnumerable<T> items, Func<T, string> nameOf, string pattern, string errorId, string message)
        {
            var matches = new List<T>();
            WildcardPattern wildcard;
            try
            {
                wildcard = NamePattern(pattern);
            }
            catch (OsvException e)
            {
                WriteFailure(e, pattern);
                return matches;
            }
            foreach (var item in items)
            {
                if (wildcard.IsMatch(nameOf(item)))
                {
                    matches.Add(item);
                }
            }
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteFailure(new OsvException(errorId, OsvErrorKind.ObjectNotFound, message, pattern), pattern);
            }
            return matches;
        }

        private ProgressPacer? instanceProgress;

        /// <summary>
        /// Progress while an instance runs: booting until its console shows a line, then running; with a
        /// timeout, the share of it used and the seconds left. Nothing when no host can show it.
        /// </summary>
        protected Action<TimeSpan, bool>? InstanceProgress(string activity, string name, TimeSpan? timeout)
        {
            var pacer = new ProgressPacer(this, 3, $"{activity} '{name}'");
            if (!pacer.Enabled)
            {
                return null;
            }
            instanceProgress = pacer;
            bool limited = timeout.HasValue && timeout.Value > TimeSpan.Zero;
            return (elapsed, seen) => pacer.Report(
                seen ? $"running, {elapsed.TotalSeconds:0} s" : $"booting, {elapsed.TotalSeconds:0.0} s",
                limited ? elapsed.TotalMilliseconds / timeout!.Value.TotalMilliseconds : (double?)null,
                secondsLeft: limited ? (timeout!.Value - elapsed).TotalSeconds : (double?)null,
                always: true);
        }

        /// <summary>Ends the progress <see cref="InstanceProgress"/> showed.</summary>
        protected void CompleteInstanceProgress() => instanceProgress?.Complete("ended");

        /// <summary>
        /// The wildcard pattern of a name, or NamePatternInvalid (WildcardPattern parses when first used, so
        /// a pattern like 'a[' would otherwise fail later as a WildcardPatternException).
        /// </summary>
        protected internal static WildcardPattern NamePattern(string pattern, WildcardOptions options = WildcardOptions.IgnoreCase)
        {
            var wildcard = new WildcardPattern(pattern, options);
            try
            {
                wildcard.IsMatch("");
            }
            catch (WildcardPatternException e)
            {
                throw new OsvException(ErrorIds.NamePatternInvalid, OsvErrorKind.InvalidArgument,
                    $"'{pattern}' is not a valid wildcard pattern ({e.Message}); to match '[' or ']' literally, escape it with a backtick ('`[').", pattern, e);
            }
            return wildcard;
        }

        /// <summary>Write-Progress for downloads, one bar a file, ended when the file is whole.</summary>
        protected OsvPS.Core.CallbackProgress<OsvPS.Core.Remote.DownloadProgress> DownloadProgressReporter()
        {
            var show = ProgressPacer.ForTransfers(this, 2);
            return new OsvPS.Core.CallbackProgress<OsvPS.Core.Remote.DownloadProgress>(p => show("Downloading " + p.Name, p.Received, p.Total));
        }

        /// <summary>A release source for <paramref name="explicitSource"/> (or the configured one).</summary>
        protected OsvPS.Core.Remote.ReleaseSource OpenReleaseSource(OsvPS.Core.Repository.CapstanRepository repository, string? explicitSource)
            => new OsvPS.Core.Remote.ReleaseSource(OsvPS.Core.Remote.ReleaseSource.Choose(explicitSource, repository));

        /// <summary>The packages the releases <paramref name="version"/> selects offer, by wildcard name.</summary>
        protected List<OsvPS.Core.Models.OsvPackage> FindRemotePackages(string? sourceUrl, string version, string name)
        {
            var repository = new OsvPS.Core.Repository.CapstanRepository();
            var pattern = NamePattern(name);
            using (var source = OpenReleaseSource(repository, sourceUrl))
            {
                var catalog = new OsvPS.Core.Remote.RemoteCatalog(repository, source);
                var found = new List<OsvPS.Core.Models.OsvPackage>();
                foreach (var release in source.Select(version, CancellationToken))
                {
                    found.AddRange(catalog.FindPackages(release).Where(p => pattern.IsMatch(p.Name)));
                }
                return found;
            }
        }

        /// <summary>Releases what a derived cmdlet holds for the whole call (runs also when the pipeline stops).</summary>
        protected virtual void ReleaseResources()
        {
        }

        public void Dispose()
        {
            ReleaseResources();
            cancellation.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
