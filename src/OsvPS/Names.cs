using System.Management.Automation;
using OsvPS.Core.Errors;

namespace OsvPS
{
    /// <summary>Names the user gives with wildcards.</summary>
    internal static class Names
    {
        /// <summary>
        /// The wildcard pattern of a name, or NamePatternInvalid (WildcardPattern parses when first used, so
        /// a pattern like 'a[' would otherwise fail later as a WildcardPatternException).
        /// </summary>
        public static WildcardPattern Pattern(string pattern, WildcardOptions options = WildcardOptions.IgnoreCase)
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
    }
}
