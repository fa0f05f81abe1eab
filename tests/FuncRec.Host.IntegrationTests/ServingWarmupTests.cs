using FuncRec.Application.Contracts;
using FuncRec.Application.Services;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>The local host recommends once for its most recently active users before it takes traffic.</summary>
public sealed class ServingWarmupTests
{
    [Fact]
    public void Recent_users_are_distinct_and_the_latest_first_up_to_the_limit()
    {
        IReadOnlyList<LoggedBatch> tail =
        [
            Batch("1", "u1", "u2", "u3"),
            Batch("2", "u4", "u1"),
            Batch("3", "u2", "u5", "u2"),
        ];

        Assert.Equal(["u2", "u5", "u1", "u4", "u3"], ServingWarmup.RecentUsers(tail, 10));
        Assert.Equal(["u2", "u5", "u1"], ServingWarmup.RecentUsers(tail, 3));
        Assert.Empty(ServingWarmup.RecentUsers([], 3));
    }

    [Theory]
    [InlineData(null, 40)]
    [InlineData("7", 7)]
    [InlineData("0", 0)]
    public async Task A_restarted_host_has_warmed_its_recent_users_before_it_answers(string? warmupUsers, int expectedUsers)
    {
        using var directory = new TemporaryDirectory("warmup");
        var catalog = TestCatalog.Create(users: 40);
        await using (var first = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast()))
        {
            await catalog.PutAllAsync(first.Client);
            await first.Client.PostAllAsync(catalog.History(eventsPerUser: 10, seed: 3));
            await first.Client.WaitForQueueDrainedAsync();
            await first.Client.FineTuneAsync();
        }

        var settings = warmupUsers is null ? HostSettings.Fast() : HostSettings.Fast(("FuncRec:Serving:WarmupUsers", warmupUsers));
        await using var restarted = await InProcessHost.StartAsync(directory.Path, settings);

        // Started means warmed: no request has been made to this host yet.
        var model = restarted.Get<ModelHost>().Current;
        Assert.NotNull(model);
        Assert.Equal(expectedUsers, model.Behaviour.Count);
    }

    private static LoggedBatch Batch(string id, params string[] users) => new(id, new AppliedBatch
    {
        BatchId = id,
        AppliedAt = DateTimeOffset.UnixEpoch,
        Events = [.. users.Select((user, i) => new AcceptedEvent { EventId = $"{id}-{i}", UserId = user, ItemId = "i1", Type = "click" })],
    });
}
