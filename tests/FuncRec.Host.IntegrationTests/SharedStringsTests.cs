using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Core.Data;
using FuncRec.Host.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// What a user's document keeps of each applied event is shared where it can be: the item id is the catalog's own
/// string and the type the one instance of that type, not the strings parsed from the message. Every user in memory
/// keeps dozens of interactions, and under ingest load the young copies were objects the collector had to copy.
/// </summary>
[Collection(PreparedDataCollection.Name)]
public sealed class SharedStringsTests(PreparedDataDirectory prepared)
{
    [Fact]
    public async Task RecentInteractionsKeepTheCatalogsItemIdAndTheSharedTypeInstance()
    {
        using var directory = new TemporaryDirectory("shared-strings");
        prepared.CopyTo(directory.Path);
        await using var consumer = InProcessHost.Build(directory.Path, HostSettings.Shared());
        var host = consumer.Services.GetRequiredService<ModelHost>();
        await host.RefreshAsync(CancellationToken.None);
        var known = prepared.Catalog.ItemsOf(1)[0];

        // Fresh copies, as a message's parser makes them.
        var batch = new EventBatch
        {
            BatchId = "shared-strings",
            AcceptedAt = DateTimeOffset.UtcNow,
            Events =
            [
                new AcceptedEvent { EventId = "shared-1", UserId = "shared-user", ItemId = new string(known.AsSpan()), Type = new string("click".AsSpan()) },
                new AcceptedEvent { EventId = "shared-2", UserId = "shared-user", ItemId = new string("never-seen-item".AsSpan()), Type = new string("purchase".AsSpan()) },
            ],
        };
        var outcome = await consumer.Services.GetRequiredService<EventBatchProcessor>().ApplyAsync(batch, CancellationToken.None);
        Assert.Equal(2, outcome.Applied);

        var recent = (await consumer.Services.GetRequiredService<IUserStore>().GetAsync("shared-user", CancellationToken.None))!.Value.Recent;
        var catalog = host.Current!.Catalog.Current;
        Assert.True(catalog.TryGetIndex(known, out var index));
        Assert.Same(catalog.IdAt(index), recent[^2].ItemId);
        Assert.Same(EventTypes.All.Single(type => type == "click"), recent[^2].Type);
        Assert.Same(EventTypes.All.Single(type => type == "purchase"), recent[^1].Type);
        Assert.Equal("never-seen-item", recent[^1].ItemId);
        InProcessHost.ReleaseDatabase(consumer.Services);
    }
}
