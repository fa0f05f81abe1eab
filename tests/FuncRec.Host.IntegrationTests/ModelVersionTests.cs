using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Core.Features;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// Publishing and rolling back versions over HTTP, and the documented rule for online state: it belongs to one
/// model version, and when another version is active it is re-derived by replaying the user's remembered
/// interactions applied after that version's data window (OnlineLearningService.StateFor), never carried over.
/// </summary>
public sealed class ModelVersionTests : IAsyncLifetime
{
    private const string Roller = "roller";
    private readonly TemporaryDirectory _directory = new("versions");
    private readonly TestCatalog _catalog = TestCatalog.Create(users: 24);
    private InProcessHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync()
    {
        // Tolerance 1: every finite challenger is published, so the test controls when versions appear. No warm-up:
        // these tests watch what the first reads under a new version do (ServingWarmupTests covers the warmed path).
        _host = await InProcessHost.StartAsync(_directory.Path, HostSettings.Fast(("FuncRec:FineTune:Tolerance", "1"), ("FuncRec:Serving:WarmupUsers", "0")));
        await _catalog.PutAllAsync(Client);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task FineTunePublishesANewActiveVersionAndRollbackRestoresTheOldOneWithItsOwnOnlineState()
    {
        await PostAndApplyAsync(_catalog.History(eventsPerUser: 12, seed: 3, eventPrefix: "first"));
        var first = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;

        // The user's first clicks are learned against the first version.
        await PostAndApplyAsync(Clicks(Roller, 0, count: 5, category: 3));
        Assert.Equal(first, (await OnlineStateAsync()).ModelVersion);
        Assert.Equal(5, (await OnlineStateAsync()).AppliedEvents);

        await PostAndApplyAsync(_catalog.History(eventsPerUser: 6, seed: 4, eventPrefix: "second"), perRequest: 48);
        var outcome = await Client.FineTuneAsync();
        var second = outcome.GetProperty("version").GetString()!;
        Assert.NotEqual(first, second);

        var models = await Client.GetJsonAsync("api/models");
        Assert.True(IsListed(models, first, active: false), models.ToString());
        Assert.True(IsListed(models, second, active: true), models.ToString());
        var secondManifest = await ManifestAsync(second);
        Assert.Equal(first, secondManifest.Parent);
        Assert.Equal("fine-tune", secondManifest.Kind);
        Assert.Equal(second, (await Client.GetJsonAsync("api/models/current")).GetProperty("pointer").GetProperty("version").GetString());
        Assert.Equal(second, (await Client.RecommendAsync(Roller)).GetProperty("modelVersion").GetString());

        // A new event under the second version: the state is re-derived for it, not added to the first's vectors.
        await AssertNextEventReplaysOntoAsync(second, secondManifest, eventNumber: 5);

        using (var rollback = await Client.PostAsync($"api/models/{first}/activate", null))
        {
            Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
            Assert.Equal(first, (await rollback.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString());
        }

        var current = await Client.GetJsonAsync("api/models/current");
        Assert.Equal(first, current.GetProperty("pointer").GetProperty("version").GetString());
        Assert.Equal(first, current.GetProperty("servedVersion").GetString());
        Assert.Equal(first, (await Client.RecommendAsync(Roller)).GetProperty("modelVersion").GetString());
        Assert.Equal(first, (await Client.ScoreAsync(Roller, ["i0-0"])).Answer.GetProperty("modelVersion").GetString());
        models = await Client.GetJsonAsync("api/models");
        Assert.True(IsListed(models, first, active: true) && IsListed(models, second, active: false), models.ToString());

        // After the rollback, the state belongs to the first version again: every remembered interaction after the
        // first version's window is replayed (the five first clicks and the one under the second version), plus the new one.
        var replayed = await AssertNextEventReplaysOntoAsync(first, await ManifestAsync(first), eventNumber: 6);
        Assert.Equal(7, replayed);
    }

    [Fact]
    public async Task AfterAPublishAUsersStateIsReDerivedOnceForAllTheirReadsAndStoredWithTheirNextEvent()
    {
        await PostAndApplyAsync(_catalog.History(eventsPerUser: 12, seed: 3, eventPrefix: "first"));
        var first = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;
        await PostAndApplyAsync(Clicks(Roller, 0, count: 5, category: 3));
        await PostAndApplyAsync(_catalog.History(eventsPerUser: 6, seed: 4, eventPrefix: "second"), perRequest: 48);
        var second = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(first, (await OnlineStateAsync()).ModelVersion);

        // Reads under the second version re-derive the user's state once, not once per request.
        var online = _host.Get<OnlineLearningService>();
        var before = online.Rederived;
        var firstScores = (await Client.ScoreAsync(Roller, ["i0-0", "i1-0", "i2-0"])).Answer.GetProperty("scores").ToString();
        var secondScores = (await Client.ScoreAsync(Roller, ["i0-0", "i1-0", "i2-0"])).Answer.GetProperty("scores").ToString();
        Assert.Equal(second, (await Client.RecommendAsync(Roller)).GetProperty("modelVersion").GetString());
        Assert.Equal(before + 1, online.Rederived);
        Assert.Equal(firstScores, secondScores);

        // What is served is what replaying gives.
        var model = _host.Get<ModelHost>().Current!;
        var user = (await _host.Get<IUserStore>().GetAsync(Roller, CancellationToken.None))!.Value;
        var (served, servedBias) = online.ServedFor(model, user);
        var replayed = online.StateFor(model, user);
        Assert.Equal(replayed.Vector(online.Grid.Best).ToArray(), served);
        Assert.Equal(replayed.Biases[online.Grid.Best], servedBias);

        // The next event stores state of the second version, and reads then use it as stored.
        await PostAndApplyAsync(Clicks(Roller, 5, count: 1, category: 3));
        Assert.Equal(second, (await OnlineStateAsync()).ModelVersion);
        var afterEvent = online.Rederived;
        await Client.ScoreAsync(Roller, ["i0-0"]);
        await Client.RecommendAsync(Roller);
        Assert.Equal(afterEvent, online.Rederived);
    }

    [Fact]
    public async Task AVersionSwappedOutUnderARequestKeepsScoringForThatRequestAndIsFreedAfterIt()
    {
        var host = _host.Get<ModelHost>();
        await PostAndApplyAsync(_catalog.History(eventsPerUser: 8, seed: 5, eventPrefix: "lease-a"), perRequest: 48);
        var first = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;
        var lease = host.Acquire();
        var held = lease.Model!;
        Assert.Equal(first, held.Version);

        await PostAndApplyAsync(_catalog.History(eventsPerUser: 4, seed: 6, eventPrefix: "lease-b"), perRequest: 48);
        var second = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;
        Assert.Equal(second, host.Current!.Version);

        // The request that picked the first version before the swap still scores with it...
        Assert.Equal(5, held.Scorer.TopK(new FeatureVector(), [], 0f, held.Catalog.Current, 5).Length);

        // ...and its session goes once that request is done.
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => held.Scorer.TopK(new FeatureVector(), [], 0f, held.Catalog.Current, 5));
        using var next = host.Acquire();
        Assert.Equal(second, next.Model!.Version);
    }

    [Fact]
    public async Task AVersionWhoseOnnxFileThisBuildCannotServeIsServedFromAFreshExportOfItsParameters()
    {
        // A model published by an older build has a scoring graph of an older format: its parameters are what the
        // graph was made from, so the host serves a fresh export of them instead of refusing the version.
        await PostAndApplyAsync(_catalog.History(eventsPerUser: 8, seed: 7, eventPrefix: "format"), perRequest: 48);
        var published = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;
        var registry = _host.Get<IModelRegistry>();
        var artifacts = (await registry.LoadAsync(published, CancellationToken.None))!;
        const string older = "v-older-graph-format";
        await registry.PublishAsync(new ModelArtifacts(artifacts.Manifest with { Version = older }, artifacts.Parameters, OnnxFiles.WithFormatVersion(artifacts.Onnx, 1)), CancellationToken.None);

        var activated = await Client.PostAsync($"api/models/{older}/activate", null);

        Assert.Equal(HttpStatusCode.OK, activated.StatusCode);
        Assert.Equal(older, _host.Get<ModelHost>().Current!.Version);
        var recommendation = await Client.RecommendAsync(Roller);
        Assert.Equal(older, recommendation.GetProperty("modelVersion").GetString());
        Assert.Equal(10, recommendation.GetProperty("items").GetArrayLength());
    }

    /// <summary>Posts one more event for the user and checks the stored state belongs to <paramref name="version"/> and was replayed by the rule.</summary>
    private async Task<long> AssertNextEventReplaysOntoAsync(string version, ModelManifest manifest, int eventNumber)
    {
        var users = _host.Get<IUserStore>();
        var before = (await users.GetAsync(Roller, CancellationToken.None))!.Value;
        Assert.NotEqual(version, before.Online!.ModelVersion);
        var trainedUntil = manifest.DataWindow.EndAppliedAt;
        var remembered = before.Recent.Count(r => r.Target is not null && (trainedUntil is null || r.AppliedAt > trainedUntil));

        await PostAndApplyAsync(Clicks(Roller, eventNumber, count: 1, category: 3));

        var state = await OnlineStateAsync();
        Assert.Equal(version, state.ModelVersion);
        Assert.Equal(remembered + 1, state.AppliedEvents);
        return state.AppliedEvents;
    }

    private async Task<OnlineStateDocument> OnlineStateAsync()
        => (await _host.Get<IUserStore>().GetAsync(Roller, CancellationToken.None))!.Value.Online!;

    private async Task<ModelManifest> ManifestAsync(string version)
        => (await _host.Get<IModelRegistry>().GetManifestAsync(version, CancellationToken.None))!;

    private async Task PostAndApplyAsync(IReadOnlyList<TestEvent> events, int perRequest = 200)
    {
        await Client.PostAllAsync(events, perRequest);
        await Client.WaitForQueueDrainedAsync();
    }

    private IReadOnlyList<TestEvent> Clicks(string user, int first, int count, int category)
        => Enumerable.Range(first, count).Select(n => new TestEvent($"{user}-{n}", user, _catalog.ItemsOf(category)[n % TestCatalog.ItemsPerCategory])).ToArray();

    private static bool IsListed(JsonElement models, string version, bool active)
        => models.EnumerateArray().Any(m => m.GetProperty("manifest").GetProperty("version").GetString() == version && m.GetProperty("active").GetBoolean() == active);
}
