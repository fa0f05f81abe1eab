using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Host.IntegrationTests.Support;
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
        var interrupted = new EventBatchProcessor(
            services.GetRequiredService<IUserStore>(),
            services.GetRequiredService<IItemStore>(),
            new InterruptedEventLog(services.GetRequiredService<IEventLog>(), "interrupted"),
            services.GetRequiredService<IModelRegistry>(),
            services.GetRequiredService<ModelHost>(),
            services.GetRequiredService<OnlineLearningService>(),
            services.GetRequiredService<PopularityService>(),
            services.GetRequiredService<IOptions<FuncRecOptions>>(),
            TimeProvider.System,
            NullLogger<EventBatchProcessor>.Instance);
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
