using OsvPS.Core.Errors;

namespace OsvPS.Core.Building
{
    /// <summary>What an image build needs from a release: a loader image or a package.</summary>
    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum MissingInputKind
    {
        Loader,
        Package,
    }

    /// <summary>A loader image or package a build needs that the repository does not hold.</summary>
    public sealed class MissingInput
    {
        public MissingInput(MissingInputKind kind, string name)
        {
            Kind = kind;
            Name = name;
        }

        public MissingInputKind Kind { get; }
        public string Name { get; }

        public override string ToString() => (Kind == MissingInputKind.Loader ? "loader " : "package ") + Name;
    }

    /// <summary>A build stopped on something a release could bring (<see cref="Input"/>); its id is PackageNotFound or LoaderImageNotFound.</summary>
    internal sealed class MissingInputException : OsvException
    {
        public MissingInputException(MissingInput input, string message)
            : base(input.Kind == MissingInputKind.Loader ? ErrorIds.LoaderImageNotFound : ErrorIds.PackageNotFound, OsvErrorKind.ObjectNotFound, message, input.Name)
        {
            Input = input;
        }

        public MissingInput Input { get; }
    }
}
