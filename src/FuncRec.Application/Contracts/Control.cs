using System.Text.Json.Serialization;

namespace FuncRec.Application.Contracts;

/// <summary>
/// The adaptive state of the fine-tune cycle, kept beside the models: the learning rate and the amount of new
/// data a cycle waits for both follow the outcome of recent cycles, and a drift alarm can ask for a cycle now.
/// </summary>
public sealed record FineTuneControl
{
    [JsonPropertyName("learningRate")]
    public double LearningRate { get; init; }

    [JsonPropertyName("minEvents")]
    public int MinEvents { get; init; }

    [JsonPropertyName("cycles")]
    public int Cycles { get; init; }

    [JsonPropertyName("published")]
    public int Published { get; init; }

    [JsonPropertyName("rejected")]
    public int Rejected { get; init; }

    [JsonPropertyName("lastRunAt")]
    public DateTimeOffset? LastRunAt { get; init; }

    [JsonPropertyName("lastDecision")]
    public string? LastDecision { get; init; }

    [JsonPropertyName("lastMetrics")]
    public Dictionary<string, double> LastMetrics { get; init; } = [];

    [JsonPropertyName("requestedAt")]
    public DateTimeOffset? RequestedAt { get; init; }

    [JsonPropertyName("requestReason")]
    public string? RequestReason { get; init; }
}
