using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Core.Features;
using FuncRec.Host.IntegrationTests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// Delivery is at least once: a batch delivered again, to the same or another consumer, changes nothing, and a
/// batch cut short by a crash completes its log entry when it comes back.
/// </summary>
[Collection(PreparedDataCollection.Name)]
public sealed class DuplicateDeliveryTests(PreparedDataDirectory prepared)
{
    [Fact]
    public async Task TheSameBatchAppliedTwiceChangesNothingTheSecondTime()
    {
        using var directory = new TemporaryDirectory("duplicate");
        prepared.CopyTo(directory.Path);
        await using var consumer = InProcessHost.Build(directory.Path, HostSettings.Shared());
        await using var otherConsumer = InProcessHost.Build(directory.Path, HostSettings.Shared());
        var processor = await ProcessorAsync(consumer.Services);
        var users = new[] { "dup-a", "dup-b" };
        var items = prepared.Catalog.ItemsOf(1);
        var batch = new EventBatch
        {
            BatchId = "duplicate-batch",
            AcceptedAt = DateTimeOffset.UtcNow,
            Events = Enumerable.Range(0, 5).Select(n => new AcceptedEvent { EventId = $"dup-{n}", UserId = users[n % 2], ItemId = items[n], Type = "click" }).ToArray(),
        };

        var first = await processor.ApplyAsync(batch, CancellationToken.None);
        Assert.Equal(5, first.Applied);
        var afterFirst = await SnapshotAsync(consumer.Services, users);
        Assert.All(users, u => Assert.Equal(prepared.ModelVersion, Document(afterFirst[u]).Online?.ModelVersion));

        var second = await processor.ApplyAsync(batch, CancellationToken.None);
        var third = await (await ProcessorAsync(otherConsumer.Services)).ApplyAsync(batch, CancellationToken.None);

        Assert.Equal((0, 5), (second.Applied, second.Duplicates));
        Assert.Equal((0, 5), (third.Applied, third.Duplicates));
        var afterRedelivery = await SnapshotAsync(consumer.Services, users);
        Assert.Equal(afterFirst, afterRedelivery);
        Assert.Equal(3, Document(afterRedelivery["dup-a"]).EventCount);

        var logged = (await consumer.Services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None))
            .Where(b => b.Batch.BatchId == batch.BatchId).ToArray();
        var entry = Assert.Single(logged);
        Assert.Equal(batch.Events.Select(e => e.EventId), entry.Batch.Events.Select(e => e.EventId));
        InProcessHost.ReleaseDatabase(consumer.Services);
    }

    /// <summary>
    /// A batch whose user documents were written but which never reached the event log (the process died in
    /// between) is delivered again after the visibility timeout, meanwhile other batches touched the same user.
    /// The redelivery must log the events the first attempt applied, or fine-tuning never sees them.
    /// </summary>
    [Theory]
    [InlineData(5)]
    [InlineData(25)]
    public async Task ABatchRedeliveredAfterACrashLogsTheEventsItHadAppliedBefore(int batchesInBetween)
    {
        using var directory = new TemporaryDirectory("redelivery");
        prepared.CopyTo(directory.Path);
        await using var consumer = InProcessHost.Build(directory.Path, HostSettings.Fast());
        var services = consumer.Services;
        var processor = await ProcessorAsync(services);
        var interrupted = Interrupted(services, "interrupted");
        var items = prepared.Catalog.ItemsOf(2);
        EventBatch Batch(string id, params string[] eventIds) => new()
        {
            BatchId = id,
            AcceptedAt = DateTimeOffset.UtcNow,
            Events = eventIds.Select((e, n) => new AcceptedEvent { EventId = e, UserId = "redelivered", ItemId = items[n % items.Count], Type = "click" }).ToArray(),
        };
        var crashed = Batch("interrupted", "crashed-1", "crashed-2");

        await Assert.ThrowsAsync<IOException>(() => interrupted.ApplyAsync(crashed, CancellationToken.None));
        for (var n = 0; n < batchesInBetween; n++)
        {
            await processor.ApplyAsync(Batch($"between-{n}", $"between-{n}"), CancellationToken.None);
        }

        var redelivery = await processor.ApplyAsync(crashed, CancellationToken.None);

        Assert.Equal((0, 2), (redelivery.Applied, redelivery.Duplicates));
        Assert.Equal(2 + batchesInBetween, (await services.GetRequiredService<IUserStore>().GetAsync("redelivered", CancellationToken.None))!.Value.EventCount);
        var logged = (await services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None)).Single(b => b.Batch.BatchId == crashed.BatchId);
        Assert.Equal(["crashed-1", "crashed-2"], logged.Batch.Events.Select(e => e.EventId));
        InProcessHost.ReleaseDatabase(services);
    }

    /// <summary>
    /// Versions before the numeric batch tags kept them as 8 hex digits in JSON rows. A batch such a version applied
    /// but never logged (the process died in between) is recognised when it comes back to this version: nothing is
    /// applied twice, and its events are logged. The row is written here as those versions wrote it, with the tags
    /// computed their way.
    /// </summary>
    [Fact]
    public async Task ABatchAppliedByAVersionWithStringTagsIsRecognisedWhenItComesBack()
    {
        using var directory = new TemporaryDirectory("string-tags");
        prepared.CopyTo(directory.Path);
        var items = prepared.Catalog.ItemsOf(2);
        var crashed = new EventBatch
        {
            BatchId = "applied-by-an-earlier-version",
            AcceptedAt = DateTimeOffset.UtcNow,
            Events = [.. new[] { "old-1", "old-2" }.Select((e, n) => new AcceptedEvent { EventId = e, UserId = "upgraded", ItemId = items[n], Type = "click" })],
        };
        string row;
        await using (var before = InProcessHost.Build(directory.Path, HostSettings.Fast()))
        {
            await ProcessorAsync(before.Services);
            await Assert.ThrowsAsync<IOException>(() => Interrupted(before.Services, crashed.BatchId).ApplyAsync(crashed, CancellationToken.None));
            var document = (await before.Services.GetRequiredService<IUserStore>().GetAsync("upgraded", CancellationToken.None))!.Value;
            var stringTag = (StableHash.Of("batch", crashed.BatchId) & 0xFFFFFFFF).ToString("x8", CultureInfo.InvariantCulture);
            var json = JsonNode.Parse(JsonSerializer.Serialize(document, new JsonSerializerOptions(JsonSerializerDefaults.Web)))!.AsObject();
            json["appliedEventBatches"] = new JsonArray(JsonValue.Create(stringTag), JsonValue.Create(stringTag));
            json["appliedBatchTags"] = new JsonArray(JsonValue.Create(stringTag));
            row = json.ToJsonString();
            InProcessHost.ReleaseDatabase(before.Services);
        }

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory.Path, "funcrec.db")}"))
        {
            connection.Open();
            var update = connection.CreateCommand();
            update.CommandText = "UPDATE users SET doc = $doc, version = version + 1 WHERE id = 'upgraded'";
            update.Parameters.AddWithValue("$doc", row);
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        SqliteConnection.ClearAllPools();
        await using var after = InProcessHost.Build(directory.Path, HostSettings.Fast());
        var redelivery = await (await ProcessorAsync(after.Services)).ApplyAsync(crashed, CancellationToken.None);

        Assert.Equal((0, 2), (redelivery.Applied, redelivery.Duplicates));
        var logged = (await after.Services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None)).Single(b => b.Batch.BatchId == crashed.BatchId);
        Assert.Equal(["old-1", "old-2"], logged.Batch.Events.Select(e => e.EventId));
        InProcessHost.ReleaseDatabase(after.Services);
    }

    /// <summary>A processor whose first event-log append of <paramref name="batchId"/> fails after its users were written: a crash in between.</summary>
    private static EventBatchProcessor Interrupted(IServiceProvider services, string batchId) => new(
        services.GetRequiredService<IUserStore>(),
        services.GetRequiredService<IItemStore>(),
        new InterruptedEventLog(services.GetRequiredService<IEventLog>(), batchId),
        services.GetRequiredService<IModelRegistry>(),
        services.GetRequiredService<ModelHost>(),
        services.GetRequiredService<OnlineLearningService>(),
        services.GetRequiredService<PopularityService>(),
        services.GetRequiredService<IOptions<FuncRecOptions>>(),
        TimeProvider.System,
        NullLogger<EventBatchProcessor>.Instance);

    private static async Task<EventBatchProcessor> ProcessorAsync(IServiceProvider services)
    {
        await services.GetRequiredService<ModelHost>().RefreshAsync(CancellationToken.None);
        return services.GetRequiredService<EventBatchProcessor>();
    }

    /// <summary>Each user's stored document as JSON with its ETag: equal snapshots mean not a byte was written.</summary>
    private static async Task<Dictionary<string, string>> SnapshotAsync(IServiceProvider services, IEnumerable<string> users)
    {
        var store = services.GetRequiredService<IUserStore>();
        var snapshot = new Dictionary<string, string>();
        foreach (var user in users)
        {
            var stored = (await store.GetAsync(user, CancellationToken.None))!;
            snapshot[user] = $"{stored.ETag} {JsonSerializer.Serialize(stored.Value)}";
        }

        return snapshot;
    }

    private static UserDocument Document(string snapshot) => JsonSerializer.Deserialize<UserDocument>(snapshot[(snapshot.IndexOf(' ', StringComparison.Ordinal) + 1)..])!;
}
