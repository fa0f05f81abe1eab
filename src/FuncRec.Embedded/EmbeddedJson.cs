using System.Text.Json;

namespace FuncRec.Embedded;

/// <summary>How the embedded stores serialise documents (the same shape the Azure stores use).</summary>
internal static class EmbeddedJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is empty.");
}
