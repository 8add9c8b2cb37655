using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace OsvPS.Core.Errors
{
    /// <summary>
    /// What one item of a many-item call came to: its value, or the error that is that item's alone (the cmdlet
    /// writes it as a non-terminating error and goes on with the next item).
    /// </summary>
    public sealed class ItemResult<T> where T : class
    {
        private ItemResult(string item, T? value, OsvException? error)
        {
            Item = item;
            Value = value;
            Error = error;
        }

        /// <summary>The item as the caller named it (a path).</summary>
        public string Item { get; }

        /// <summary>The result; null exactly when <see cref="Error"/> is set.</summary>
        public T? Value { get; }

        public OsvException? Error { get; }

        public static ItemResult<T> Of(string item, T value) => new ItemResult<T>(item, value ?? throw new ArgumentNullException(nameof(value)), null);

        public static ItemResult<T> Failed(string item, OsvException error) => new ItemResult<T>(item, null, error ?? throw new ArgumentNullException(nameof(error)));

        /// <summary>Runs <paramref name="work"/> for <paramref name="item"/>; an OsvException becomes the item's error.</summary>
        public static ItemResult<T> Try(string item, Func<T> work)
        {
            try
            {
                return Of(item, work());
            }
            catch (OsvException e)
            {
                return Failed(item, e);
            }
        }
    }

    /// <summary>Runs many items' work.</summary>
    internal static class ItemResults
    {
        /// <summary>
        /// <paramref name="work"/> for every input on all cores; the results come back in input order, each
        /// input's OsvException as its error. Anything else (a bug, a cancellation) ends the whole call.
        /// </summary>
        internal static IReadOnlyList<ItemResult<T>> InParallel<TInput, T>(IReadOnlyList<TInput> inputs, Func<TInput, string> item,
            Func<TInput, T> work, CancellationToken cancellation) where T : class
        {
            var results = new ItemResult<T>[inputs.Count];
            Parallel.For(0, inputs.Count, new ParallelOptions { CancellationToken = cancellation },
                i => results[i] = ItemResult<T>.Try(item(inputs[i]), () => work(inputs[i])));
            return results;
        }
    }
}
