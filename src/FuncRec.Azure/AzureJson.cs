using System.Text.Json;

namespace FuncRec.Azure;

/// <summary>How the Azure adapters serialise documents and blobs: the same shape as the embedded stores (web defaults).</summary>
internal static class AzureJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static BinaryData Write<T>(T value) => BinaryData.FromObjectAsJson(value, Options);

    public static T Read<T>(BinaryData data, string what)
        => data.ToObjectFromJson<T>(Options) ?? throw new InvalidDataException($"The stored {what} is empty.");
}
