using System.Text.Json;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Azure;

/// <summary>
/// Cosmos documents through System.Text.Json with the contracts' own converters (FeatureValue and the rest), so a
/// document has the same shape as in the embedded stores instead of Newtonsoft.Json's reading of the same types.
/// </summary>
public sealed class SystemTextJsonCosmosSerializer(JsonSerializerOptions options) : CosmosSerializer
{
    public override T FromStream<T>(Stream stream)
    {
        if (typeof(Stream).IsAssignableFrom(typeof(T)))
        {
            return (T)(object)stream;
        }

        using (stream)
        {
            return JsonSerializer.Deserialize<T>(stream, options)!;
        }
    }

    public override Stream ToStream<T>(T input)
    {
        var buffer = new MemoryStream();
        JsonSerializer.Serialize(buffer, input, options);
        buffer.Position = 0;
        return buffer;
    }
}
