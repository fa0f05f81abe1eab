using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Host.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// Two consumer instances (two DI containers, each with its own stores and connections) applying different
/// batches for the same users at the same time: no update is lost, and each user ends exactly as if the
/// batches had been applied one after the other in the order their document records.
/// </summary>
[Collection(PreparedDataCollection.Name)]
public sealed class ConcurrentDeliveryTests(PreparedDataDirectory prepared)
{
    private const int BatchesPerConsumer = 10;
    private static readonly string[] Users = ["both-a", "both-b", "both-c"];

    [Fact]
    public async Task ConcurrentConsumersLoseNoUpdateAndEndAsInASequentialOrder()
    {
        using var shared = new TemporaryDirectory("concurrent");
        using var reference = new TemporaryDirectory("sequential");
        prepared.CopyTo(shared.Path);
        prepared.CopyTo(reference.Path);
        await using var left = InProcessHost.Build(shared.Path, HostSettings.Shared());
        await using var right = InProcessHost.Build(shared.Path, HostSettings.Shared());
        await using var sequential = InProcessHost.Build(reference.Path, HostSettings.Fast());
        var leftBatches = Batches("left", seed: 1);
        var rightBatches = Batches("right", seed: 2);
        var leftProcessor = await ProcessorAsync(left.Services);
        var rightProcessor = await ProcessorAsync(right.Services);

        using var start = new Barrier(2);
        await Task.WhenAll(
            Task.Run(() => ApplyAllAsync(leftProcessor, leftBatches, start)),
            Task.Run(() => ApplyAllAsync(rightProcessor, rightBatches, start)));

        var all = leftBatches.Concat(rightBatches).ToDictionary(b => b.BatchId);
        var store = left.Services.GetRequiredService<IUserStore>();
        var referenceProcessor = await ProcessorAsync(sequential.Services);
        var referenceStore = sequential.Services.GetRequiredService<IUserStore>();
        foreach (var user in Users)
        {
            var mine = all.Values.SelectMany(b => b.Events).Where(e => e.UserId == user).ToArray();
            var document = (await store.GetAsync(user, CancellationToken.None))!.Value;

            Assert.Equal(mine.Length, document.EventCount);
            Assert.Equal(mine.Select(e => e.EventId).Order(), document.AppliedEventIds.Order());
            Assert.Equal(mine.Select(e => e.ItemId).Order(), document.Recent.Select(r => r.ItemId).Order());
            Assert.Equal(prepared.ModelVersion, document.Online!.ModelVersion);
            Assert.Equal(mine.Length, document.Online.AppliedEvents);

            // The order this user's batches were applied in is in their document; replay it on a copy, one batch at a time.
            Assert.Equal(all.Keys.Order(), document.AppliedBatchIds.Order());
            foreach (var batchId in document.AppliedBatchIds)
            {
                var batch = all[batchId];
                await referenceProcessor.ApplyAsync(batch with { BatchId = $"{user}-{batchId}", Events = batch.Events.Where(e => e.UserId == user).ToArray() }, CancellationToken.None);
            }

            var expected = (await referenceStore.GetAsync(user, CancellationToken.None))!.Value;
            Assert.Equal(expected.EventCount, document.EventCount);
            Assert.Equal(expected.AppliedEventIds, document.AppliedEventIds);
            Assert.Equal(expected.Recent.Select(r => (r.ItemId, r.Type, r.Value, r.Target)), document.Recent.Select(r => (r.ItemId, r.Type, r.Value, r.Target)));
            Assert.Equal(expected.Online!.AppliedEvents, document.Online.AppliedEvents);
            Assert.Equal(expected.Online.Vectors, document.Online.Vectors);
            Assert.Equal(expected.Online.Biases, document.Online.Biases);
            Assert.Equal(expected.Online.VectorAccumulators, document.Online.VectorAccumulators);
            Assert.Equal(expected.Online.BiasAccumulators, document.Online.BiasAccumulators);
        }

        // Each event is in the log once, whichever consumer applied it.
        var logged = (await left.Services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None))
            .Where(b => all.ContainsKey(b.Batch.BatchId)).SelectMany(b => b.Batch.Events).Select(e => e.EventId).ToArray();
        Assert.Equal(all.Values.SelectMany(b => b.Events).Select(e => e.EventId).Order(), logged.Order());
        InProcessHost.ReleaseDatabase(left.Services);
        InProcessHost.ReleaseDatabase(sequential.Services);
    }

    private static async Task ApplyAllAsync(EventBatchProcessor processor, IReadOnlyList<EventBatch> batches, Barrier start)
    {
        start.SignalAndWait();
        foreach (var batch in batches)
        {
            await processor.ApplyAsync(batch, CancellationToken.None);
        }
    }

    private static async Task<EventBatchProcessor> ProcessorAsync(IServiceProvider services)
    {
        var host = services.GetRequiredService<ModelHost>();
        await host.RefreshAsync(CancellationToken.None);
        Assert.NotNull(host.Current);
        return services.GetRequiredService<EventBatchProcessor>();
    }

    /// <summary>Batches of two clicks per user each, on items of the catalog (so no consumer's catalog grows meanwhile).</summary>
    private IReadOnlyList<EventBatch> Batches(string consumer, int seed)
    {
        var random = new Random(seed);
        var items = prepared.Catalog.Items;
        return Enumerable.Range(0, BatchesPerConsumer).Select(b => new EventBatch
        {
            BatchId = $"{consumer}-{b}",
            AcceptedAt = DateTimeOffset.UtcNow,
            Events = Users.SelectMany(user => Enumerable.Range(0, 2).Select(n => new AcceptedEvent
            {
                EventId = $"{consumer}-{b}-{user}-{n}",
                UserId = user,
                ItemId = items[random.Next(items.Count)].Id,
                Type = n == 0 ? "click" : "view",
            })).ToArray(),
        }).ToArray();
    }
}
