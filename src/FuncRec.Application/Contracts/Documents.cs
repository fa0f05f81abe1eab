using System.Text.Json.Serialization;
using FuncRec.Core.Features;

namespace FuncRec.Application.Contracts;

/// <summary>A stored value with the concurrency token of the version read (an ETag).</summary>
public sealed record Versioned<T>(T Value, string ETag);

/// <summary>
/// Everything FuncRec keeps about one user, in one document so that applying an event is one atomic write:
/// profile features, the recent interactions (behaviour features, and the material to re-derive online state),
/// the online state per model version, and the ids of the events already applied (exactly-once window).
/// </summary>
/// <remarks>
/// Every collection is present, never null: a stored document from an earlier version lacks the properties added
/// since, and the source-generated JSON reader sets those to null instead of their empty defaults.
/// </remarks>
public sealed record UserDocument
{
    public required string Id { get; init; }

    public Dictionary<string, FeatureValue> Features { get; init => field = value ?? []; } = [];

    /// <summary>Newest last, capped (see OnlineOptions.RecentEvents).</summary>
    public List<RecentInteraction> Recent { get; init => field = value ?? []; } = [];

    public OnlineStateDocument? Online { get; init; }

    /// <summary>Ids of the last applied events, newest last, capped (see OnlineOptions.AppliedEventIds).</summary>
    public List<string> AppliedEventIds { get; init => field = value ?? []; } = [];

    /// <summary>
    /// For each of <see cref="AppliedEventIds"/> (same order), a short tag of the batch that applied it: a batch
    /// redelivered after a crash logs exactly the events it applied before, however many batches came between.
    /// <see cref="BatchTags.Unknown"/> where the batch is not known.
    /// </summary>
    [JsonConverter(typeof(BatchTagListJsonConverter))]
    public List<uint> AppliedEventBatches { get; init => field = value ?? []; } = [];

    /// <summary>
    /// Tags of the last batches that applied events to this user (newest last, capped by OnlineOptions.AppliedBatches):
    /// a batch redelivered long after its first attempt — after more of the user's events than the id window holds —
    /// is still recognised and applies nothing twice.
    /// </summary>
    [JsonConverter(typeof(BatchTagListJsonConverter))]
    public List<uint> AppliedBatchTags { get; init => field = value ?? []; } = [];

    /// <summary>Ids of the last batches that applied events to this user, newest last (for diagnosis).</summary>
    public List<string> AppliedBatchIds { get; init => field = value ?? []; } = [];

    public long EventCount { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// Set when the user was forgotten: the document is then a tombstone with no data, kept so that events
    /// accepted before the deletion but applied after it are dropped instead of bringing the user back.
    /// </summary>
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>In memory only, never stored or serialised: hash codes of <see cref="AppliedEventIds"/> (see <see cref="AppliedIdIndex"/>).</summary>
    internal AppliedIdIndex? IdIndex { get; set; }
}

/// <summary>One interaction remembered in the user's document (short JSON names: a user document holds dozens and is written on every batch).</summary>
/// <param name="Value">Its weight as behaviour (the target when it teaches, else the event's own value).</param>
/// <param name="Target">What it teaches (rating, or implicit weight); null when it only counts as behaviour.</param>
/// <param name="AppliedAt">When it was applied: events after a model's data window are replayed onto that model's online state.</param>
public sealed record RecentInteraction(
    [property: JsonPropertyName("i")] string ItemId,
    [property: JsonPropertyName("t")] string Type,
    [property: JsonPropertyName("v")] float Value,
    [property: JsonPropertyName("g")] float? Target,
    [property: JsonPropertyName("a"), JsonConverter(typeof(UnixMillisecondsJsonConverter))] DateTimeOffset AppliedAt);

/// <summary>
/// A user's online vectors and biases (one per learning-rate candidate, vectors one after the other) with their
/// AdaGrad accumulators, valid only against <see cref="ModelVersion"/>.
/// </summary>
public sealed record OnlineStateDocument(
    string ModelVersion,
    [property: JsonConverter(typeof(CompactFloatsJsonConverter))] float[] Vectors,
    [property: JsonConverter(typeof(CompactFloatsJsonConverter))] float[] Biases,
    [property: JsonConverter(typeof(CompactFloatsJsonConverter))] float[] VectorAccumulators,
    [property: JsonConverter(typeof(CompactFloatsJsonConverter))] float[] BiasAccumulators,
    long AppliedEvents);

/// <summary>An item of the catalog with its features.</summary>
public sealed record ItemDocument
{
    public required string Id { get; init; }

    public Dictionary<string, FeatureValue> Features { get; init; } = [];

    public DateTimeOffset UpdatedAt { get; init; }
}
