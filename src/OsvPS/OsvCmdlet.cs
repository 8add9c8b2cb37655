using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Repository;

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

        /// <summary>A provider path for a user-given path that need not exist yet.</summary>
        protected string ResolveNewPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

        /// <summary>The repository's images matching a wildcard <paramref name="name"/>.</summary>
        protected List<OsvImage> MatchImages(CapstanRepository repository, string name)
            => MatchByName(repository.GetImages(), i => i.Name, name, ErrorIds.ImageNotFound, $"there is no image '{name}' in {repository.ImagesPath}.");

        /// <summary>
        /// The items whose name matches the wildcard <paramref name="pattern"/>; a plain name that matches
        /// nothing is reported as <paramref name="errorId"/> (a wildcard that matches nothing is not an error).
        /// </summary>
        protected List<T> MatchByName<T>(IEnumerable<T> items, Func<T, string> nameOf, string pattern, ErrorId errorId, string message)
        {
            var matches = new List<T>();
            WildcardPattern wildcard;
            try
            {
                wildcard = Names.Pattern(pattern);
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
