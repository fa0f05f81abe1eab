using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

/// <summary>
/// The value of a template expression when it can be computed from the template alone (literals, parameters with
/// defaults, variables, pure functions); unknown when it depends on the deployment (resource ids, references, outputs).
/// An object or array with some unknown parts is not known, but its Node holds the known parts evaluated and the
/// unknown ones as their raw expression text.
/// </summary>
public readonly record struct ArmValue(bool IsKnown, JsonNode? Node)
{
    public static ArmValue Unknown => new(false, null);

    public static ArmValue Known(JsonNode? node) => new(true, node?.DeepClone());

    public string? AsString => IsKnown && Node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public long? AsInteger => IsKnown && Node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        && long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    public bool? AsBoolean => IsKnown && Node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? v.GetValue<bool>() : null;

    public override string ToString() => IsKnown ? Node?.ToJsonString() ?? "null" : "<unknown>";
}
