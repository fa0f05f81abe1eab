using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FuncRec.Application.Contracts;

/// <summary>
/// Writes a float array as the base64 of its little-endian bytes (reads that or a plain JSON array): online state is
/// written on every event batch, and numbers as text would make it three times larger and its writing the slowest
/// part of applying a batch.
/// </summary>
public sealed class CompactFloatsJsonConverter : JsonConverter<float[]>
{
    public override float[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var bytes = reader.GetBytesFromBase64();
            if (bytes.Length % sizeof(float) != 0)
            {
                throw new JsonException("A compact float array must hold a whole number of floats.");
            }

            var values = new float[bytes.Length / sizeof(float)];
            bytes.AsSpan().CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Compact float arrays are stored little-endian.");
            }

            return values;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Expected a base64 string or an array of numbers.");
        }

        var list = new List<float>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(reader.GetSingle());
        }

        return list.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
        => writer.WriteBase64StringValue(MemoryMarshal.AsBytes(value.AsSpan()));
}
