using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OsvPS.Core.Qemu
{
    /// <summary>What OsvPS sends on QEMU's monitor: <c>{"execute": "..."}</c>.</summary>
    internal sealed class QmpRequest
    {
        [JsonPropertyName("execute")]
        public string Execute { get; set; } = "";

        [JsonPropertyName("arguments")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public Dictionary<string, object>? Arguments { get; set; }
    }

    /// <summary>
    /// One line QEMU sends on its monitor: the greeting (<c>QMP</c>), a reply (<c>return</c> or
    /// <c>error</c>) or an asynchronous <c>event</c>.
    /// </summary>
    internal sealed class QmpMessage
    {
        [JsonPropertyName("QMP")]
        public JsonElement Greeting { get; set; }

        [JsonPropertyName("return")]
        public JsonElement Return { get; set; }

        [JsonPropertyName("error")]
        public QmpError? Error { get; set; }

        [JsonPropertyName("event")]
        public string? Event { get; set; }

        public bool IsGreeting => Greeting.ValueKind != JsonValueKind.Undefined;
        public bool IsReturn => Return.ValueKind != JsonValueKind.Undefined;
    }

    internal sealed class QmpError
    {
        [JsonPropertyName("class")]
        public string? Class { get; set; }

        [JsonPropertyName("desc")]
        public string? Description { get; set; }
    }
}
