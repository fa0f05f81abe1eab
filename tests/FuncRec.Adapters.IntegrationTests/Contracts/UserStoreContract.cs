using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.Application.Ports;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Contracts;

/// <summary>What every <see cref="IUserStore"/> does: ETag compare-and-swap, create-only, missing users, large documents, concurrent writers.</summary>
public abstract class UserStoreContract : PortContract
{
    private IUserStore Users => Harness.Users;

    [Fact]
    public async Task Get_of_a_missing_user_is_null()
    {
        Assert.Null(await Users.GetAsync("nobody", Cancellation));
    }

    [Fact]
    public async Task Create_only_write_succeeds_once_and_is_refused_when_the_user_exists()
    {
        var first = await Users.TryWriteAsync(TestData.User("u1", eventCount: 1), null, Cancellation);
        var second = await Users.TryWriteAsync(TestData.User("u1", eventCount: 2), null, Cancellation);

        Assert.NotNull(first);
        Assert.Null(second);
        var stored = await Users.GetAsync("u1", Cancellation);
        Assert.Equal(1, stored!.Value.EventCount);
        Assert.Equal(first, stored.ETag);
    }

    [Fact]
    public async Task Write_with_the_current_etag_replaces_the_document_and_returns_a_new_etag()
    {
        var created = await Users.TryWriteAsync(TestData.User("u1", eventCount: 1), null, Cancellation);
        var replaced = await Users.TryWriteAsync(TestData.User("u1", eventCount: 2), created, Cancellation);

        Assert.NotNull(replaced);
        Assert.NotEqual(created, replaced);
        var stored = await Users.GetAsync("u1", Cancellation);
        Assert.Equal(2, stored!.Value.EventCount);
        Assert.Equal(replaced, stored.ETag);
    }

    [Fact]
    public async Task Write_with_a_stale_etag_is_refused_and_changes_nothing()
    {
        var created = await Users.TryWriteAsync(TestData.User("u1", eventCount: 1), null, Cancellation);
        var replaced = await Users.TryWriteAsync(TestData.User("u1", eventCount: 2), created, Cancellation);

        var stale = await Users.TryWriteAsync(TestData.User("u1", eventCount: 3), created, Cancellation);

        Assert.Null(stale);
        var stored = await Users.GetAsync("u1", Cancellation);
        Assert.Equal(2, stored!.Value.EventCount);
        Assert.Equal(replaced, stored.ETag);
    }

    [Fact]
    public async Task Write_with_an_etag_of_a_deleted_user_is_refused()
    {
        var created = await Users.TryWriteAsync(TestData.User("u1"), null, Cancellation);
        Assert.True(await Users.DeleteAsync("u1", Cancellation));

        Assert.Null(await Users.TryWriteAsync(TestData.User("u1"), created, Cancellation));
        Assert.Null(await Users.GetAsync("u1", Cancellation));
    }

    [Fact]
    public async Task Write_with_an_etag_to_a_user_that_never_existed_is_refused()
    {
        Assert.Null(await Users.TryWriteAsync(TestData.User("u1"), "\"not-an-etag\"", Cancellation));
    }

    [Fact]
    public async Task Delete_removes_the_user_and_tells_whether_there_was_one()
    {
        await Users.TryWriteAsync(TestData.User("u1"), null, Cancellation);

        Assert.True(await Users.DeleteAsync("u1", Cancellation));
        Assert.False(await Users.DeleteAsync("u1", Cancellation));
        Assert.Null(await Users.GetAsync("u1", Cancellation));
        Assert.NotNull(await Users.TryWriteAsync(TestData.User("u1"), null, Cancellation));
    }

    [Fact]
    public async Task Document_round_trips_every_field()
    {
        var user = TestData.LargeUser("u1") with { DeletedAt = TestData.Now.AddDays(1) };

        await Users.TryWriteAsync(user, null, Cancellation);

        TestData.AssertSameJson(user, (await Users.GetAsync("u1", Cancellation))!.Value);
    }

    [Fact]
    public async Task Large_document_with_1000_recent_interactions_and_200_applied_ids_can_be_replaced()
    {
        var user = TestData.LargeUser("big");
        var created = await Users.TryWriteAsync(user, null, Cancellation);
        var grown = user with { EventCount = user.EventCount + 1 };

        Assert.NotNull(await Users.TryWriteAsync(grown, created, Cancellation));
        var stored = (await Users.GetAsync("big", Cancellation))!.Value;
        Assert.Equal(1000, stored.Recent.Count);
        Assert.Equal(200, stored.AppliedEventIds.Count);
        TestData.AssertSameJson(grown, stored);
    }

    [Fact]
    public async Task Ids_with_reserved_characters_are_distinct_users_that_round_trip()
    {
        foreach (var (id, index) in TestData.AwkwardIds.Select((id, index) => (id, index)))
        {
            Assert.NotNull(await Users.TryWriteAsync(TestData.User(id, eventCount: index), null, Cancellation));
        }

        foreach (var (id, index) in TestData.AwkwardIds.Select((id, index) => (id, index)))
        {
            var stored = await Users.GetAsync(id, Cancellation);
            Assert.Equal(id, stored!.Value.Id);
            Assert.Equal(index, stored.Value.EventCount);
        }

        Assert.True(await Users.DeleteAsync("a/b", Cancellation));
        Assert.Null(await Users.GetAsync("a/b", Cancellation));
        Assert.NotNull(await Users.GetAsync("~b64~looks-encoded", Cancellation));
    }

    [Fact]
    public async Task Concurrent_writers_retrying_on_conflict_lose_no_increment()
    {
        const int writers = 8;
        const int incrementsEach = 10;
        await Users.TryWriteAsync(TestData.User("counter"), null, Cancellation);

        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var done = 0; done < incrementsEach;)
            {
                var stored = (await Users.GetAsync("counter", Cancellation))!;
                if (await Users.TryWriteAsync(stored.Value with { EventCount = stored.Value.EventCount + 1 }, stored.ETag, Cancellation) is not null)
                {
                    done++;
                }
            }
        })));

        Assert.Equal(writers * incrementsEach, (await Users.GetAsync("counter", Cancellation))!.Value.EventCount);
    }

    [Fact]
    public async Task Concurrent_create_only_writers_exactly_one_wins()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Users.TryWriteAsync(TestData.User("contested", eventCount: i), null, Cancellation))));

        var winner = Assert.Single(results, etag => etag is not null);
        Assert.Equal(winner, (await Users.GetAsync("contested", Cancellation))!.ETag);
    }
}

public sealed class SqliteUserStoreContractTests : UserStoreContract
{
    protected override AdapterHarness CreateHarness() => new EmbeddedHarness();
}

/// <summary>The same contract while the store writes behind (versions compared in memory, documents flushed every 2 s).</summary>
public sealed class SqliteWriteBehindUserStoreContractTests : UserStoreContract
{
    protected override AdapterHarness CreateHarness() => new EmbeddedHarness(writeBehindMilliseconds: 2000);
}

[Collection(EmulatorCollections.Cosmos)]
public sealed class CosmosUserStoreContractTests(EmulatorFixture emulators) : UserStoreContract
{
    protected override AdapterHarness CreateHarness() => new AzureHarness(emulators);
}
