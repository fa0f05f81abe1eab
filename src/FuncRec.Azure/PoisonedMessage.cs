using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FuncRec.Azure;

/// <summary>
/// What the poison queue holds for a message that can never apply: the reason with the original body. The body is
/// kept as text when the envelope fits a queue message; a body near the size limit grows when escaped as a JSON
/// string, so it is then kept gzip-compressed (<see cref="BodyGzip"/>); only a body that does not fit even so
/// (incompressible content at the limit) is cut, and <see cref="BodyTruncated"/> says so.
/// </summary>
public sealed record PoisonedMessage
{
    /// <summary>Largest envelope (UTF-8 bytes): 48 KiB is exactly 64 KiB in base64; 1 KiB stays free for the request.</summary>
    internal const int MaxEnvelopeBytes = 47 * 1024;

    private const int MaxReasonLength = 2048;

    private static readonly JsonSerializerOptions EnvelopeJson = new(JsonSerializerDefaults.Web)
    {
        // Only what JSON itself requires is escaped (the envelope is never embedded in HTML), so the body grows least.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    };

    [JsonPropertyName("reason")]
    public required string Reason { get; init; }

    [JsonPropertyName("body")]
    public string? Body { get; init; }

    /// <summary>The body, gzip-compressed and base64-encoded, when the plain text would not fit.</summary>
    [JsonPropertyName("bodyGzip")]
    public string? BodyGzip { get; init; }

    [JsonPropertyName("bodyTruncated")]
    public bool BodyTruncated { get; init; }

    [JsonPropertyName("dequeueCount")]
    public long DequeueCount { get; init; }

    [JsonPropertyName("failedAt")]
    public DateTimeOffset FailedAt { get; init; }

    /// <summary>The original message body, whichever way it was kept.</summary>
    public string ReadBody()
    {
        if (BodyGzip is null)
        {
            return Body ?? string.Empty;
        }

        using var gzip = new GZipStream(new MemoryStream(Convert.FromBase64String(BodyGzip)), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static PoisonedMessage Parse(string json)
        => JsonSerializer.Deserialize<PoisonedMessage>(json, EnvelopeJson) ?? throw new InvalidDataException("A poison message is empty.");

    /// <summary>The envelope for a body, in the first form that fits a queue message.</summary>
    internal static BinaryData Envelope(string reason, string body, long dequeueCount, DateTimeOffset failedAt)
    {
        var plain = new PoisonedMessage
        {
            Reason = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason,
            Body = body,
            DequeueCount = dequeueCount,
            FailedAt = failedAt,
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(plain, EnvelopeJson);
        if (json.Length <= MaxEnvelopeBytes)
        {
            return BinaryData.FromBytes(json);
        }

        json = JsonSerializer.SerializeToUtf8Bytes(plain with { Body = null, BodyGzip = Compress(body) }, EnvelopeJson);
        if (json.Length <= MaxEnvelopeBytes)
        {
            return BinaryData.FromBytes(json);
        }

        // Incompressible and at the limit: keep as much of the text as fits (escaping at most doubles plain text
        // here, control characters aside, so halve until it fits).
        var kept = body;
        do
        {
            kept = kept[..(kept.Length / 2)];
            json = JsonSerializer.SerializeToUtf8Bytes(plain with { Body = kept, BodyTruncated = true }, EnvelopeJson);
        }
        while (json.Length > MaxEnvelopeBytes);
        return BinaryData.FromBytes(json);
    }

    private static string Compress(string body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(body));
        }

        return Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
