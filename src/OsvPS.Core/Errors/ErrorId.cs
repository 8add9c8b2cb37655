using System;

namespace OsvPS.Core.Errors
{
    /// <summary>
    /// The stable id of an error (<c>ConfigSetNotFound</c>), which scripts match on. Only <see cref="ErrorIds"/>
    /// makes them: an OsvException takes an ErrorId, not a string, so the compiler checks that every id thrown
    /// is in the one list. Reads as its name wherever a string is wanted.
    /// </summary>
    public readonly struct ErrorId : IEquatable<ErrorId>
    {
        internal ErrorId(string name)
        {
            Name = name;
        }

        public string Name { get; }

        public bool Equals(ErrorId other) => string.Equals(Name, other.Name, StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is ErrorId other && Equals(other);

        public override int GetHashCode() => Name == null ? 0 : StringComparer.Ordinal.GetHashCode(Name);

        public override string ToString() => Name ?? "";

        public static bool operator ==(ErrorId left, ErrorId right) => left.Equals(right);

        public static bool operator !=(ErrorId left, ErrorId right) => !left.Equals(right);

        public static implicit operator string(ErrorId id) => id.ToString();
    }
}
