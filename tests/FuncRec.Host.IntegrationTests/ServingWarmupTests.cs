using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Host.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FuncRec.Host.IntegrationTests;

/// <summary>The local host recommends once, on each model it loads, for its most recently active users before the model serves.</summary>
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

    [Fact]
    public async Task A_published_model_is_warmed_before_it_serves()
    {
        using var directory = new TemporaryDirectory("warmup-publish");
        var catalog = TestCatalog.Create(users: 40);

        // Tolerance 1: the second challenger is published whatever its hold-out score, which this test is not about
        // (on 40 users it can come out a little worse than the first model: seen once in a full run).
        await using var host = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast(("FuncRec:FineTune:Tolerance", "1")));
        await catalog.PutAllAsync(host.Client);
        await host.Client.PostAllAsync(catalog.History(eventsPerUser: 10, seed: 4));
        await host.Client.WaitForQueueDrainedAsync();
        var first = (await host.Client.FineTuneAsync()).GetProperty("version").GetString();
        await host.Client.PostAllAsync(catalog.History(eventsPerUser: 5, seed: 5, eventPrefix: "later"));
        await host.Client.WaitForQueueDrainedAsync();
        var second = (await host.Client.FineTuneAsync()).GetProperty("version").GetString();

        // No request has asked for a recommendation: the rows were made by the warm-up of each model as it loaded.
        var model = host.Get<ModelHost>().Current;
        Assert.NotNull(model);
        Assert.NotEqual(first, second);
        Assert.Equal(second, model.Version);
        Assert.Equal(40, model.Behaviour.Count);

        // Users' stored state belongs to the first model; the warm-up re-derived it for the second, so reads do not.
        var online = host.Get<OnlineLearningService>();
        var rederived = online.Rederived;
        foreach (var user in catalog.Users.Take(5))
        {
            Assert.Equal(second, (await host.Client.RecommendAsync(user.Id)).GetProperty("modelVersion").GetString());
        }

        Assert.Equal(rederived, online.Rederived);
    }

    [Fact]
    public async Task The_served_model_serves_while_the_next_one_warms_and_items_met_meanwhile_reach_the_next_one()
    {
        using var directory = new TemporaryDirectory("warmup-order");
        var catalog = TestCatalog.Create(users: 12);
        string first, second;
        await using (var publisher = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast(("FuncRec:FineTune:Tolerance", "1"))))
        {
            await catalog.PutAllAsync(publisher.Client);
            await publisher.Client.PostAllAsync(catalog.History(eventsPerUser: 8, seed: 6), perRequest: 24);
            await publisher.Client.WaitForQueueDrainedAsync();
            first = (await publisher.Client.FineTuneAsync()).GetProperty("version").GetString()!;
            await publisher.Client.PostAllAsync(catalog.History(eventsPerUser: 6, seed: 7, eventPrefix: "later"), perRequest: 24);
            await publisher.Client.WaitForQueueDrainedAsync();
            second = (await publisher.Client.FineTuneAsync()).GetProperty("version").GetString()!;
        }

        // A host of the same directory's stores (built, not started), with a warm-up that looks at the host mid-way.
        await using var app = InProcessHost.Build(directory.Path, HostSettings.Fast());
        var registry = app.Services.GetRequiredService<IModelRegistry>();
        var probe = new ProbingWarmup();
        using var host = new ModelHost(registry, app.Services.GetRequiredService<IItemStore>(), app.Services.GetRequiredService<IOptions<FuncRecOptions>>(), NullLogger<ModelHost>.Instance, TimeProvider.System, [probe]);
        probe.Host = host;
        Assert.True(await registry.TryActivateAsync(first, (await registry.GetActiveAsync(CancellationToken.None))?.ETag, CancellationToken.None));
        await host.RefreshAsync(CancellationToken.None);
        Assert.True(await registry.TryActivateAsync(second, (await registry.GetActiveAsync(CancellationToken.None))?.ETag, CancellationToken.None));
        await host.RefreshAsync(CancellationToken.None);

        Assert.Equal([(first, null), (second, first)], probe.Seen);
        Assert.Equal(second, host.Current!.Version);
        Assert.True(host.Current.Catalog.Current.IndexOf($"met-while-warming-{second}") >= 0);
        Assert.True(host.Current.Catalog.Current.IndexOf($"met-while-warming-{first}") >= 0);
    }

    [Fact]
    public async Task A_host_disposed_while_a_model_warms_never_serves_it_frees_it_and_loads_nothing_after()
    {
        using var directory = new TemporaryDirectory("warmup-dispose");
        var catalog = TestCatalog.Create(users: 12);
        await using (var publisher = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast()))
        {
            await catalog.PutAllAsync(publisher.Client);
            await publisher.Client.PostAllAsync(catalog.History(eventsPerUser: 8, seed: 8), perRequest: 24);
            await publisher.Client.WaitForQueueDrainedAsync();
            await publisher.Client.FineTuneAsync();
        }

        await using var app = InProcessHost.Build(directory.Path, HostSettings.Fast());
        var warmup = new BlockingWarmup();
        var host = new ModelHost(app.Services.GetRequiredService<IModelRegistry>(), app.Services.GetRequiredService<IItemStore>(), app.Services.GetRequiredService<IOptions<FuncRecOptions>>(), NullLogger<ModelHost>.Instance, TimeProvider.System, [warmup]);
        var refresh = host.RefreshAsync(CancellationToken.None);
        var warming = await warmup.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        host.Dispose();
        warmup.Release.SetResult();
        await refresh.WaitAsync(TimeSpan.FromSeconds(60));

        // Never served, and its native session freed: the scorer refuses calls.
        Assert.Null(host.Current);
        Assert.Throws<ObjectDisposedException>(() => warming.Scorer.TopK(UserFeatures.NewVector(), [], 0f, warming.Catalog.Current, 5));

        // A refresh after disposal (a background service stopping late) loads nothing that would never be freed.
        await host.RefreshAsync(CancellationToken.None);
        Assert.Null(host.Current);
        Assert.Equal(1, warmup.Calls);
    }

    /// <summary>Holds the warm-up until released, telling the test which model it holds.</summary>
    private sealed class BlockingWarmup : IServingModelWarmup
    {
        private int _calls;

        public TaskCompletionSource<ServingModel> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public async Task WarmAsync(ServingModel model, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Entered.TrySetResult(model);
            await Release.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Records which model was served while each model was warmed, and meets an item meanwhile.</summary>
    private sealed class ProbingWarmup : IServingModelWarmup
    {
        public ModelHost? Host { get; set; }

        public List<(string Warmed, string? Served)> Seen { get; } = [];

        public Task WarmAsync(ServingModel model, CancellationToken cancellationToken)
        {
            Seen.Add((model.Version, Host!.Current?.Version));
            Host.EnsureItem($"met-while-warming-{model.Version}", DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        }
    }

    private static LoggedBatch Batch(string id, params string[] users) => new(id, new AppliedBatch
    {
        BatchId = id,
        AppliedAt = DateTimeOffset.UnixEpoch,
        Events = [.. users.Select((user, i) => new AcceptedEvent { EventId = $"{id}-{i}", UserId = user, ItemId = "i1", Type = "click" })],
    });
}
