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
/// <para>
/// Versions that kept tags as strings wrote the same 8 hex digits, so their documents read unchanged, with one
/// exception accepted: a batch whose hash had 32 low zero bits (one in 2³²) was tagged <c>00000000</c> then, which
/// now reads as <see cref="Unknown"/>; redelivered across the upgrade, such a batch applies nothing twice (its
/// event ids are in the window) but is not recognised as already applied.
/// </para>
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

    /// <summary>Reads a tag's stored text: 8 hex digits, or an empty string for <see cref="Unknown"/>.</summary>
    public static bool TryParse(string text, out uint tag)
    {
        tag = Unknown;
        return text.Length == 0
            || (text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out tag));
    }
}

/// <summary>
/// Batch tags in JSON exactly as documents have always held them: 8 lowercase hex digits each, an empty string for
/// <see cref="BatchTags.Unknown"/> (Cosmos rows written before stay readable, and rows written now stay readable by
/// the versions before). A null list reads as empty (see <see cref="UserDocument"/>).
/// </summary>
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
            if (tag == BatchTags.Unknown)
            {
                writer.WriteStringValue(string.Empty);
                continue;
            }

            tag.TryFormat(text, out _, "x8", CultureInfo.InvariantCulture);
            writer.WriteStringValue(text);
        }

        writer.WriteEndArray();
    }
}
