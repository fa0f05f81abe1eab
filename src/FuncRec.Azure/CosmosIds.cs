using System.Buffers.Text;
using System.Text;

namespace FuncRec.Azure;

/// <summary>
/// Maps FuncRec ids to Cosmos document ids. Cosmos refuses '/', '\', '?' and '#' in ids, and '%' is unreliable
/// in the request paths that carry them; such ids (and ids that start with <see cref="EncodedPrefix"/>) are stored as
/// the prefix + base64url of their UTF-8 bytes, all others as they are. The mapping is one-to-one: a plain id never
/// starts with the prefix, an encoded one always does. The raw id stays inside the stored document.
/// </summary>
internal static class CosmosIds
{
    public const string EncodedPrefix = "~b64~";

    /// <summary>Cosmos allows 1023 bytes per id; encoding grows an id by a third.</summary>
    private const int MaxIdBytes = 1023;

    public static string Encode(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.AsSpan().IndexOfAny(['/', '\\', '?', '#', '%']) < 0 && !id.StartsWith(EncodedPrefix, StringComparison.Ordinal) && !HasControlCharacters(id)
            && Encoding.UTF8.GetByteCount(id) <= MaxIdBytes)
        {
            return id;
        }

        var encoded = EncodedPrefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(id));
        return encoded.Length <= MaxIdBytes ? encoded
            : throw new ArgumentException($"The id is too long for Cosmos DB (at most about {MaxIdBytes * 3 / 4} UTF-8 bytes).", nameof(id));
    }

    private static bool HasControlCharacters(string id)
    {
        foreach (var c in id)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
