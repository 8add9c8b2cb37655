using System.Text.Json;

namespace OsvPS.Core.IO
{
    /// <summary>The JSON settings of everything OsvPS reads: a bounded depth, so a hostile peer cannot exhaust the stack.</summary>
    internal static class JsonLimits
    {
        public static readonly JsonSerializerOptions Options = new JsonSerializerOptions { MaxDepth = 64 };
    }
}
