using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FuncRec.Core.Features;

namespace FuncRec.Application.Contracts;

/// <summary>
/// The short tag a user document keeps for each batch that applied events to it: 32 bits of a stable hash of the
/// batch id, never <see cref="Unknown"/>. Kept as numbers, not strings: a document holds hundreds, and the consumer
/// scans and rewrites them for every user of every batch, where hundreds of scattered string objects per user
/// cost more than the rest of the document.
/// </summary>
public static class BatchTags
{
    /// <summary>The tag of an applied event whose batch is not known (documents written before the tags).</summary>
    public const uint Unknown = 0;

    public static uint Of(string batchId)
    {
        var tag = (uint)(StableHash.Of("batch", batchId) & 0xFFFFFFFF);
        return tag == Unknown ? 1 : tag;
    }

    /// <summary>The stored text of a tag: 8 lowercase hex digits, as documents before the numeric form held them.</summary>
    public static string Format(uint tag) => tag.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>Reads <see cref="Format"/>'s text; an empty string (the unknown tag of older documents) is <see cref="Unknown"/>.</summary>
    public static bool TryParse(string text, out uint tag)
    {
        tag = Unknown;
        return text.Length == 0
            || (text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out tag));
    }
}

/// <summary>Batch tags in JSON as the hex strings documents have always held (Cosmos rows written before stay readable).</summary>
public sealed class BatchTagListJsonConverter : JsonConverter<List<uint>>
{
    public override List<uint> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Batch tags must be an array of strings.");
        }

        var tags = new List<uint>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || !BatchTags.TryParse(reader.GetString()!, out var tag))
            {
                throw new JsonException("A batch tag must be 8 hex digits (or empty when unknown).");
            }

            tags.Add(tag);
        }

        return tags;
    }

    public override void Write(Utf8JsonWriter writer, List<uint> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        Span<char> text = stackalloc char[8];
        foreach (var tag in value)
        {
            tag.TryFormat(text, out _, "x8", CultureInfo.InvariantCulture);
            writer.WriteStringValue(text);
        }

        writer.WriteEndArray();
    }
}
