using System;

namespace OsvPS.Core.Errors
{
    /// <summary>
    /// A failure the user can act on. <see cref="ErrorId"/> is stable (scripts match on it),
    /// <see cref="Target"/> is the item that failed (a path, a name, a config set). The message is made
    /// printable (<see cref="TextSafety"/>): text from outside that it quotes cannot drive the terminal.
    /// </summary>
    public class OsvException : Exception
    {
        public OsvException(ErrorId errorId, OsvErrorKind kind, string message, object? target = null, Exception? inner = null)
            : base(TextSafety.Printable(message), inner)
        {
            Id = errorId;
            Kind = kind;
            Target = target;
        }

        /// <summary>Stable identifier, e.g. <c>ConfigSetNotFound</c>: what scripts match on (<c>$e.Exception.ErrorId -eq 'ConfigSetNotFound'</c>).</summary>
        public string ErrorId => Id.Name;

        /// <summary>The same id, typed: the one made by <see cref="ErrorIds"/>.</summary>
        public ErrorId Id { get; }

        /// <summary>The kind of failure.</summary>
        public OsvErrorKind Kind { get; }

        /// <summary>The failing item: a path, a name, or a model object.</summary>
        public object? Target { get; }
    }
}
