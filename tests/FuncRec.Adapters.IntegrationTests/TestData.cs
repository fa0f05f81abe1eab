using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Core.Features;

namespace FuncRec.Adapters.IntegrationTests;

/// <summary>Documents, batches and models for the contract tests, and a way to compare them whole.</summary>
public static class TestData
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Ids that are awkward for some store: reserved characters in Cosmos ids and URLs, non-ASCII, the encoded-id prefix.</summary>
    public static readonly string[] AwkwardIds = ["a/b", "what?#fragment", @"back\slash", "100%", "ünïcödé spaced", "~b64~looks-encoded", "plain-id"];

    public static UserDocument User(string id, long eventCount = 0) => new()
    {
        Id = id,
        Features = new Dictionary<string, FeatureValue> { ["age"] = 31, ["country"] = "NZ", ["tags"] = new[] { "a", "b" } },
        Recent = [new RecentInteraction("item-1", "view", 1f, null, Now)],
        AppliedEventIds = ["e1"],
        AppliedBatchIds = ["b1"],
        EventCount = eventCount,
        UpdatedAt = Now,
    };

    /// <summary>A user document as large as the application lets them grow: 1000 recent interactions, 200 applied ids, online state.</summary>
    public static UserDocument LargeUser(string id) => User(id) with
    {
        Recent = Enumerable.Range(0, 1000).Select(i => new RecentInteraction($"item-{i:D6}", i % 3 == 0 ? "rating" : "view", i % 5, i % 3 == 0 ? i % 5 : null, Now.AddSeconds(i))).ToList(),
        AppliedEventIds = Enumerable.Range(0, 200).Select(i => Guid.NewGuid().ToString("N")).ToList(),
        AppliedBatchIds = Enumerable.Range(0, 200).Select(i => Guid.NewGuid().ToString("N")).ToList(),
        Online = new OnlineStateDocument("v-0001", Floats(4 * 64), Floats(4), Floats(4 * 64), Floats(4), 1000),
        EventCount = 5000,
    };

    public static ItemDocument Item(string id, DateTimeOffset updatedAt) => new()
    {
        Id = id,
        Features = new Dictionary<string, FeatureValue> { ["genre"] = new[] { "drama", "comedy" }, ["year"] = 1999, ["title"] = $"Title of {id}" },
        UpdatedAt = updatedAt,
    };

    public static AppliedBatch Batch(string batchId, int events, IReadOnlyList<string>? forgotten = null) => new()
    {
        BatchId = batchId,
        AppliedAt = Now,
        Events = Enumerable.Range(0, events).Select(i => new AcceptedEvent
        {
            EventId = $"{batchId}-{i}",
            UserId = $"user-{i % 7}",
            ItemId = $"item-{i % 11}",
            Type = i % 2 == 0 ? "view" : "rating",
            Value = i % 2 == 0 ? null : 4f,
            Timestamp = Now.AddSeconds(-i),
            Context = i % 3 == 0 ? new Dictionary<string, string> { ["device"] = "mobile" } : null,
        }).ToArray(),
        ForgottenUsers = forgotten,
    };

    public static ModelArtifacts Model(string version, DateTimeOffset createdAt, int parameterBytes = 4096, int onnxBytes = 2048)
    {
        var random = new Random(version.GetHashCode(StringComparison.Ordinal));
        var parameters = new byte[parameterBytes];
        var onnx = new byte[onnxBytes];
        random.NextBytes(parameters);
        random.NextBytes(onnx);
        return new ModelArtifacts(
            new ModelManifest
            {
                Version = version,
                Parent = null,
                Kind = "full",
                CreatedAt = createdAt,
                SchemaHash = "schema-1",
                Rank = 32,
                Loss = "bpr",
                DataWindow = new DataWindow { AfterPosition = null, ToPosition = "p-1", EndAppliedAt = createdAt, Events = 100, Batches = 3 },
                Metrics = new Dictionary<string, double> { ["recall@10"] = 0.25 },
                HyperParameters = new Dictionary<string, string> { ["epochs"] = "5" },
                Decision = "promoted",
                TrainedEvents = 100,
            },
            parameters,
            onnx);
    }

    public static FineTuneControl Control(int cycles) => new()
    {
        LearningRate = 0.05,
        MinEvents = 500,
        Cycles = cycles,
        Published = 1,
        Rejected = cycles - 1,
        LastRunAt = Now,
        LastDecision = "rejected",
        LastMetrics = new Dictionary<string, double> { ["recall@10"] = 0.2 },
        RequestedAt = null,
        RequestReason = null,
    };

    /// <summary>Records holding lists compare by reference; compare what would be stored instead.</summary>
    public static void AssertSameJson<T>(T expected, T actual)
        => Assert.Equal(JsonSerializer.Serialize(expected, Json), JsonSerializer.Serialize(actual, Json));

    private static float[] Floats(int count) => Enumerable.Range(0, count).Select(i => (float)Math.Sin(i) * 0.1f).ToArray();
}
