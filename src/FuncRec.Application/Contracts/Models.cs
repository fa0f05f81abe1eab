using System.Text.Json.Serialization;

namespace FuncRec.Application.Contracts;

/// <summary>Where <c>models/current.json</c> points, with its concurrency token.</summary>
public sealed record ActiveModelPointer(string Version, DateTimeOffset ActivatedAt, string ETag);

/// <summary>
/// What a published model is and where it came from: parent, data window (by event-log position, i.e. apply
/// order), hold-out, metrics of the champion/challenger comparison, hyper-parameters and the decision.
/// Written once with the model's immutable files.
/// </summary>
public sealed record ModelManifest
{
    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("parent")]
    public string? Parent { get; init; }

    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    [JsonPropertyName("createdAt")]
    public required DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("schemaHash")]
    public required string SchemaHash { get; init; }

    [JsonPropertyName("rank")]
    public int Rank { get; init; }

    [JsonPropertyName("loss")]
    public required string Loss { get; init; }

    [JsonPropertyName("dataWindow")]
    public required DataWindow DataWindow { get; init; }

    [JsonPropertyName("holdout")]
    public DataWindow? Holdout { get; init; }

    [JsonPropertyName("metrics")]
    public Dictionary<string, double> Metrics { get; init; } = [];

    [JsonPropertyName("hyperParameters")]
    public Dictionary<string, string> HyperParameters { get; init; } = [];

    [JsonPropertyName("decision")]
    public string? Decision { get; init; }

    [JsonPropertyName("trainedEvents")]
    public long TrainedEvents { get; init; }
}

/// <summary>A span of the event log: positions (exclusive start, inclusive end) and what it held.</summary>
public sealed record DataWindow
{
    [JsonPropertyName("afterPosition")]
    public string? AfterPosition { get; init; }

    [JsonPropertyName("toPosition")]
    public string? ToPosition { get; init; }

    /// <summary>Apply time of the last batch in the window; events applied later are replayed onto this model's online state.</summary>
    [JsonPropertyName("endAppliedAt")]
    public DateTimeOffset? EndAppliedAt { get; init; }

    [JsonPropertyName("events")]
    public long Events { get; init; }

    [JsonPropertyName("batches")]
    public long Batches { get; init; }
}

/// <summary>A model version's files as loaded from the registry.</summary>
public sealed record ModelArtifacts(ModelManifest Manifest, byte[] Parameters, byte[] Onnx);
