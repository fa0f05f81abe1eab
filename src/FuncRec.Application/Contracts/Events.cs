using System.Text.Json.Serialization;

namespace FuncRec.Application.Contracts;

/// <summary>An event that passed validation and carries its final id.</summary>
public sealed record AcceptedEvent
{
    [JsonPropertyName("id")]
    public required string EventId { get; init; }

    [JsonPropertyName("u")]
    public required string UserId { get; init; }

    [JsonPropertyName("i")]
    public required string ItemId { get; init; }

    [JsonPropertyName("t")]
    public required string Type { get; init; }

    [JsonPropertyName("v")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Value { get; init; }

    [JsonPropertyName("ts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Timestamp { get; init; }

    [JsonPropertyName("c")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Context { get; init; }

    /// <summary>
    /// True when FuncRec made the id (the client sent none): no client can post it again, so only a redelivery of
    /// its batch could repeat it, and batch tags catch that — the id need not take room in the user's id window.
    /// </summary>
    [JsonPropertyName("g")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool GeneratedId { get; init; }
}

/// <summary>One queue message: a batch of accepted events (kept under the queue's message size limit).</summary>
public sealed record EventBatch
{
    [JsonPropertyName("batch")]
    public required string BatchId { get; init; }

    [JsonPropertyName("accepted")]
    public required DateTimeOffset AcceptedAt { get; init; }

    [JsonPropertyName("events")]
    public required IReadOnlyList<AcceptedEvent> Events { get; init; }
}

/// <summary>A batch as the event log keeps it once applied; its position orders the log by apply time.</summary>
public sealed record AppliedBatch
{
    [JsonPropertyName("batch")]
    public required string BatchId { get; init; }

    [JsonPropertyName("applied")]
    public required DateTimeOffset AppliedAt { get; init; }

    [JsonPropertyName("events")]
    public required IReadOnlyList<AcceptedEvent> Events { get; init; }

    /// <summary>Users forgotten in this batch's place in the log (their earlier events leave training).</summary>
    [JsonPropertyName("forget")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ForgottenUsers { get; init; }
}

/// <summary>A batch read back from the log with its position.</summary>
public sealed record LoggedBatch(string Position, AppliedBatch Batch);
