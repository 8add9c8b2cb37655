using System.Linq;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Instances
{
    /// <summary>What an instance may be called, on every engine: the name becomes a folder or a domain name.</summary>
    internal static class InstanceNames
    {
        public static bool IsValid(string name)
            => name.Length > 0 && name.Length <= 64 && name != "." && name != ".." && name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == '-'));

        public static void Validate(string name)
        {
            if (!IsValid(name))
            {
                throw new OsvException(ErrorIds.InstanceNameInvalid, OsvErrorKind.InvalidArgument,
                    $"'{name}' is not a valid instance name: use up to 64 letters, digits, '.', '_' and '-'.", name);
            }
        }

        /// <summary>The name a start gets without -Name: the image's, with a namespace's '/' made '-'.</summary>
        public static string Default(string imageName) => imageName.Replace('/', '-');
    }
}
