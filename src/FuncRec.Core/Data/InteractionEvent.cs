using System.Text.Json.Serialization;

namespace FuncRec.Core.Data;

/// <summary>
/// One interaction as apps send it and the import format stores it. <see cref="EventId"/> makes retries safe
/// (the same id is never applied twice); <see cref="Value"/> is the rating for "rating" events and an optional
/// weight otherwise; <see cref="Timestamp"/> is the client's time, informative only (order of application is
/// what windows are cut by); <see cref="Context"/> holds request features such as device or hour of day.
/// </summary>
public sealed record InteractionEvent
{
    [JsonPropertyName("eventId")]
    public string? EventId { get; init; }

    [JsonPropertyName("userId")]
    public required string UserId { get; init; }

    [JsonPropertyName("itemId")]
    public required string ItemId { get; init; }

    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("value")]
    public float? Value { get; init; }

    [JsonPropertyName("timestamp")]
    public DateTimeOffset? Timestamp { get; init; }

    [JsonPropertyName("context")]
    public IReadOnlyDictionary<string, string>? Context { get; init; }
}
