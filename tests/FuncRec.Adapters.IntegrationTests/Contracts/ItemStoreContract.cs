using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.Application.Ports;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Contracts;

/// <summary>What every <see cref="IItemStore"/> does: create-only, upsert, missing items, listing what changed.</summary>
public abstract class ItemStoreContract : PortContract
{
    private IItemStore Items => Harness.Items;

    [Fact]
    public async Task Get_of_a_missing_item_is_null()
    {
        Assert.Null(await Items.GetAsync("nothing", Cancellation));
    }

    [Fact]
    public async Task TryCreate_creates_once_and_never_overwrites()
    {
        var original = TestData.Item("i1", TestData.Now);

        Assert.True(await Items.TryCreateAsync(original, Cancellation));
        Assert.False(await Items.TryCreateAsync(TestData.Item("i1", TestData.Now.AddHours(1)) with { Features = [] }, Cancellation));
        TestData.AssertSameJson(original, await Items.GetAsync("i1", Cancellation));
    }

    [Fact]
    public async Task Upsert_creates_and_then_replaces()
    {
        await Items.UpsertAsync(TestData.Item("i1", TestData.Now), Cancellation);
        var replacement = TestData.Item("i1", TestData.Now.AddHours(1)) with { Features = [] };

        await Items.UpsertAsync(replacement, Cancellation);

        TestData.AssertSameJson(replacement, await Items.GetAsync("i1", Cancellation));
        Assert.Single(await Items.ListChangedSinceAsync(null, Cancellation));
    }

    [Fact]
    public async Task Listing_without_a_time_returns_every_item_in_update_order()
    {
        // Enough items to land in every partition bucket of the Cosmos store.
        var items = Enumerable.Range(0, 60).Select(i => TestData.Item($"item-{i:D3}", TestData.Now.AddMinutes(60 - i))).ToArray();
        await Task.WhenAll(items.Select(item => Items.UpsertAsync(item, Cancellation)));

        var listed = await Items.ListChangedSinceAsync(null, Cancellation);

        Assert.Equal(items.OrderBy(i => i.UpdatedAt).Select(i => i.Id), listed.Select(i => i.Id));
        TestData.AssertSameJson(items.OrderBy(i => i.UpdatedAt).ToArray(), listed.ToArray());
    }

    [Fact]
    public async Task Listing_since_a_time_returns_items_changed_at_or_after_it()
    {
        var since = TestData.Now;
        await Items.UpsertAsync(TestData.Item("before", since.AddTicks(-10_000)), Cancellation);
        await Items.UpsertAsync(TestData.Item("at", since), Cancellation);
        await Items.UpsertAsync(TestData.Item("after", since.AddMinutes(1)), Cancellation);
        await Items.TryCreateAsync(TestData.Item("created-later", since.AddMinutes(2)), Cancellation);

        var listed = await Items.ListChangedSinceAsync(since, Cancellation);

        Assert.Equal(["at", "after", "created-later"], listed.Select(i => i.Id));
        Assert.Empty(await Items.ListChangedSinceAsync(since.AddMinutes(3), Cancellation));
    }

    [Fact]
    public async Task Ids_with_reserved_characters_round_trip()
    {
        foreach (var id in TestData.AwkwardIds)
        {
            Assert.True(await Items.TryCreateAsync(TestData.Item(id, TestData.Now), Cancellation));
        }

        foreach (var id in TestData.AwkwardIds)
        {
            Assert.Equal(id, (await Items.GetAsync(id, Cancellation))!.Id);
            Assert.False(await Items.TryCreateAsync(TestData.Item(id, TestData.Now), Cancellation));
        }

        Assert.Equal(TestData.AwkwardIds.Order(StringComparer.Ordinal), (await Items.ListChangedSinceAsync(null, Cancellation)).Select(i => i.Id));
    }
}

public sealed class SqliteItemStoreContractTests : ItemStoreContract
{
    protected override AdapterHarness CreateHarness() => new EmbeddedHarness();
}

[Collection(EmulatorCollections.Cosmos)]
public sealed class CosmosItemStoreContractTests(EmulatorFixture emulators) : ItemStoreContract
{
    protected override AdapterHarness CreateHarness() => new AzureHarness(emulators);
}
