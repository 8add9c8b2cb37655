using System;

namespace OsvPS.Core
{
    /// <summary>
    /// An <see cref="IProgress{T}"/> that calls back on the reporting thread (the caller's: the core
    /// never reports from another thread), unlike <see cref="Progress{T}"/>, which posts to a context.
    /// </summary>
    /// <remarks>The cmdlet assembly uses this instead of implementing the interface itself: a type in it that
    /// names a core type in its definition would make PowerShell load the core before the module's resolver exists.</remarks>
    public sealed class CallbackProgress<T> : IProgress<T>
    {
        private readonly Action<T> callback;

        public CallbackProgress(Action<T> callback) => this.callback = callback;

        public void Report(T value) => callback(value);
    }
}
