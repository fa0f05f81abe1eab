using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FuncRec.Application.Contracts;

namespace FuncRec.Embedded;

/// <summary>How the embedded stores serialise documents (the same shape the Azure stores use), source-generated where it can be.</summary>
internal static class EmbeddedJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(DocumentJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is empty.");
}
