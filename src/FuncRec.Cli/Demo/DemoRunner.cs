using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FuncRec.Application.Services;
using FuncRec.Cli.Hosting;
using FuncRec.Core.Features;
using FuncRec.Core.Persistence;
using FuncRec.Http;
using FuncRec.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FuncRec.Cli.Demo;

/// <summary>
/// <c>funcrec demo</c>: loads users, items and the history into a new data directory, trains the first model with
/// a fine-tune cycle, starts the backend in this process on a loopback port, then replays the stream through the
/// real HTTP API (events go through the queue consumer, as in production). Before each event is posted, the
/// recommendations the user would get now are checked for the item they are about to choose (recall@10), both
/// from the live system and from a frozen copy of the starting model given the same inputs.
/// </summary>
public sealed class DemoRunner(DemoScenario scenario, string outputDirectory, bool quick, TextWriter console)
{
    private const int K = 10;
    private const int RecentCap = 1000;
    private readonly List<DemoPoint> _points = [];
    private readonly List<(int Index, string Version)> _models = [];
    private readonly List<int> _driftAlarms = [];

    public async Task<DemoSummary> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        var dataDirectory = Path.Combine(outputDirectory, "data");
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }

        var settings = new Dictionary<string, string?>
        {
            ["FuncRecFineTuneSchedule"] = quick ? "*/5 * * * * *" : "*/15 * * * * *",
            ["FuncRec:FineTune:MinEvents"] = quick ? "1500" : "5000",
            ["FuncRec:Serving:ModelRefreshSeconds"] = "2",

            // Remember enough of each user to exclude what they have seen (MovieLens users rate hundreds of films).
            ["FuncRec:Online:RecentEvents"] = RecentCap.ToString(CultureInfo.InvariantCulture),
        };
        await using var app = LocalHost.Build(dataDirectory, "http://127.0.0.1:0", settings, LogLevel.Warning);
        var clock = Stopwatch.StartNew();

        // The history and the first model come before the backend starts (as `funcrec import` and an on-demand
        // fine-tune would): applied in order with no scheduled cycle running meanwhile, so the starting model is
        // the same in every run and only the stream depends on timing.
        await PutProfilesAsync(app.Services, cancellationToken);
        console.WriteLine($"  {scenario.Users.Count} users and {scenario.Items.Count} items loaded");
        var histories = new Dictionary<string, List<(string Item, float Value)>>(StringComparer.Ordinal);
        await LocalApply.IngestAndApplyAsync(app.Services, scenario.History.Select(e => new { userId = e.UserId, itemId = e.ItemId, type = e.Type, value = e.Value }), cancellationToken);
        Remember(histories, scenario.History);
        console.WriteLine($"  {scenario.History.Count} history events ingested and applied ({clock.Elapsed.TotalSeconds:F1} s)");
        var outcome = await app.Services.GetRequiredService<FineTuneService>().RunAsync("first model", force: true, cancellationToken);
        console.WriteLine($"  first model: {outcome.Decision} ({outcome.Reason})");

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
        console.WriteLine($"FuncRec demo on {scenario.Name}: backend at {address}, data in {dataDirectory}");
        var host = app.Services.GetRequiredService<ModelHost>();
        await host.RefreshAsync(cancellationToken);
        var start = host.Current ?? throw new InvalidOperationException("The first fine-tune did not produce a model.");
        _models.Add((0, start.Version));
        using var frozen = FrozenCopy(start);

        var postDrift = (Online: 0, Frozen: 0, Count: 0);
        var window = (Online: 0, Frozen: 0, Count: 0);
        var freshness = new List<double>();
        var batchSize = 50;
        var replay = scenario.Stream;
        var online = app.Services.GetRequiredService<OnlineLearningService>();
        var alarmsBefore = online.DriftAlarms;
        var lastReport = Stopwatch.StartNew();
        var replayClock = Stopwatch.StartNew();
        for (var offset = 0; offset < replay.Count; offset += batchSize)
        {
            var batch = replay.Skip(offset).Take(batchSize).ToArray();

            // Score first: what would each user be shown right before they act?
            var hits = await Task.WhenAll(batch.Select((e, i) => MeasureAsync(http, frozen, histories, e, cancellationToken)));
            for (var i = 0; i < batch.Length; i++)
            {
                if (hits[i] is not { } hit)
                {
                    continue;
                }

                window = (window.Online + (hit.Online ? 1 : 0), window.Frozen + (hit.Frozen ? 1 : 0), window.Count + 1);
                if (offset + i >= scenario.DriftIndex)
                {
                    postDrift = (postDrift.Online + (hit.Online ? 1 : 0), postDrift.Frozen + (hit.Frozen ? 1 : 0), postDrift.Count + 1);
                }
            }

            var posted = Stopwatch.StartNew();
            await PostAsync(http, batch, histories, cancellationToken);
            await WaitForQueueAsync(http, cancellationToken);
            freshness.Add(posted.Elapsed.TotalMilliseconds);

            if (online.DriftAlarms > alarmsBefore)
            {
                _driftAlarms.Add(offset + batch.Length);
                alarmsBefore = online.DriftAlarms;
            }

            if (host.Current is { } current && current.Version != _models[^1].Version)
            {
                _models.Add((offset + batch.Length, current.Version));
            }

            if ((offset / batchSize) % 10 == 9 || offset + batchSize >= replay.Count)
            {
                _points.Add(new DemoPoint(offset + batch.Length, Ratio(window.Online, window.Count), Ratio(window.Frozen, window.Count), _models.Count));
                window = (0, 0, 0);
            }

            if (lastReport.Elapsed > TimeSpan.FromSeconds(2) || offset + batchSize >= replay.Count)
            {
                lastReport.Restart();
                var done = Math.Min(offset + batchSize, replay.Count);
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {done,6}/{replay.Count} events  {done / replayClock.Elapsed.TotalSeconds,6:F0} ev/s  freshness p50 {Percentile(freshness, 0.5),5:F0} ms  recall@10 online {_points.LastOrDefault()?.Online ?? 0:F3} frozen {_points.LastOrDefault()?.Frozen ?? 0:F3}  models {_models.Count}  drift alarms {_driftAlarms.Count}{(done >= scenario.DriftIndex ? "  (after drift)" : string.Empty)}"));
            }
        }

        // The loop's answer to a drift alarm (an early fine-tune) may still be under way when a short stream ends:
        // wait for it, within bounds, so that the summary shows what it did. The lift above is measured during the
        // stream only.
        if (_driftAlarms.Count > 0)
        {
            await SettleAsync(app.Services, host, replay.Count, cancellationToken);
        }

        var onlineRecall = Ratio(postDrift.Online, postDrift.Count);
        var frozenRecall = Ratio(postDrift.Frozen, postDrift.Count);
        var summary = new DemoSummary(
            scenario.Name,
            scenario.History.Count + replay.Count,
            _models.Count,
            _driftAlarms.Select(a => a).ToArray(),
            scenario.DriftIndex,
            scenario.DriftDescription,
            new OnlineVersusFrozen("recall_at_10", $"stream events {scenario.DriftIndex}..{replay.Count} (after the drift), {postDrift.Count} positives", onlineRecall, frozenRecall, frozenRecall > 0 ? (onlineRecall / frozenRecall) - 1 : double.NaN),
            Percentile(freshness, 0.5),
            Percentile(freshness, 0.99),
            _models.Select(m => new DemoModel(m.Index, m.Version)).ToArray(),
            _points,
            clock.Elapsed.TotalSeconds);
        await DemoReport.WriteAsync(outputDirectory, summary, cancellationToken);
        await app.StopAsync(cancellationToken);
        return summary;
    }

    /// <summary>
    /// Waits (up to <see cref="SettleTimeout"/>) until no early fine-tune is still requested, then loads whatever the
    /// loop published meanwhile and records it at the end of the stream.
    /// </summary>
    private async Task SettleAsync(IServiceProvider services, ModelHost host, int streamEnd, CancellationToken cancellationToken)
    {
        var registry = services.GetRequiredService<FuncRec.Application.Ports.IModelRegistry>();
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < SettleTimeout && (await registry.GetControlAsync(cancellationToken))?.Value.RequestedAt is not null)
        {
            await Task.Delay(100, cancellationToken);
        }

        await host.RefreshAsync(cancellationToken);
        if (host.Current is { } current && current.Version != _models[^1].Version)
        {
            _models.Add((streamEnd, current.Version));
        }

        var control = (await registry.GetControlAsync(cancellationToken))?.Value;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  after the stream ({waited.Elapsed.TotalSeconds:F1} s): the last fine-tune cycle {control?.LastDecision ?? "has not run"}; models {_models.Count}"));
    }

    /// <summary>How long the demo waits after the stream for a fine-tune a drift alarm asked for.</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);

    private async Task PutProfilesAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var profiles = services.GetRequiredService<ProfileService>();
        foreach (var item in scenario.Items)
        {
            await profiles.PutItemAsync(item.Id, new Dictionary<string, FeatureValue>(item.Fields), cancellationToken);
        }

        foreach (var user in scenario.Users)
        {
            await profiles.PutUserAsync(user.Id, new Dictionary<string, FeatureValue>(user.Fields), cancellationToken);
        }
    }

    private static async Task PostAsync(HttpClient http, IReadOnlyList<DemoEvent> events, Dictionary<string, List<(string Item, float Value)>> histories, CancellationToken cancellationToken)
    {
        foreach (var chunk in events.Chunk(500))
        {
            var body = chunk.Select(e => new { userId = e.UserId, itemId = e.ItemId, type = e.Type, value = e.Value }).ToArray();
            var response = await http.PostAsJsonAsync("api/events", body, cancellationToken);
            response.EnsureSuccessStatusCode();
            Remember(histories, chunk);
        }
    }

    /// <summary>The demo's own record of what each user has seen (to exclude it when checking recommendations).</summary>
    private static void Remember(Dictionary<string, List<(string Item, float Value)>> histories, IEnumerable<DemoEvent> events)
    {
        foreach (var e in events)
        {
            var history = histories.TryGetValue(e.UserId, out var list) ? list : histories[e.UserId] = [];
            history.RemoveAll(h => h.Item == e.ItemId);
            history.Add((e.ItemId, e.Value ?? 1f));
            if (history.Count > RecentCap)
            {
                history.RemoveAt(0);
            }
        }
    }

    private static async Task WaitForQueueAsync(HttpClient http, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var health = await http.GetFromJsonAsync<JsonElement>("api/health", cancellationToken);
            if (health.GetProperty("queueDepth").GetInt64() == 0)
            {
                return;
            }

            await Task.Delay(2, cancellationToken);
        }
    }

    /// <summary>Was the chosen item in the user's top 10, online and frozen? Null for events that are not positives.</summary>
    private static async Task<(bool Online, bool Frozen)?> MeasureAsync(HttpClient http, FrozenScorer frozen, Dictionary<string, List<(string Item, float Value)>> histories, DemoEvent e, CancellationToken cancellationToken)
    {
        if (e.Type == Core.Data.EventTypes.Rating && e.Value < 4)
        {
            return null;
        }

        var seen = histories.TryGetValue(e.UserId, out var history) ? history.ToArray() : [];
        if (seen.Any(h => h.Item == e.ItemId))
        {
            return null;
        }

        var response = await http.GetFromJsonAsync<JsonElement>($"api/recommendations/{Uri.EscapeDataString(e.UserId)}?k={K}&excludeSeen=true", cancellationToken);
        var online = response.GetProperty("items").EnumerateArray().Any(item => item.GetProperty("itemId").GetString() == e.ItemId);
        return (online, frozen.Recommends(e.UserId, seen, e.ItemId));
    }

    private FrozenScorer FrozenCopy(ServingModel start)
    {
        var model = ModelSerializer.FromBytes(ModelSerializer.ToBytes(start.Model));
        return new FrozenScorer(model, Core.Onnx.OnnxModelExporter.Export(model, start.Version + "-frozen"), scenario.Users, scenario.Items);
    }

    private static double Ratio(int hits, int count) => count == 0 ? 0 : (double)hits / count;

    private static double Percentile(List<double> values, double q) => values.Count == 0 ? 0 : Core.Evaluation.Percentiles.NearestRank(values, q);

    /// <summary>The starting model, never updated, scored with the same inputs the live system gets (profile and recent items).</summary>
    private sealed class FrozenScorer : IDisposable
    {
        private readonly Core.Model.RecommenderModel _model;
        private readonly OnnxScorer _scorer;
        private readonly ItemCatalog _catalog;
        private readonly Dictionary<string, EntityProfile> _users;

        public FrozenScorer(Core.Model.RecommenderModel model, byte[] onnx, IReadOnlyList<EntityProfile> users, IReadOnlyList<EntityProfile> items)
        {
            _model = model;
            _scorer = new OnnxScorer(onnx, model);
            _catalog = new ItemCatalog(model);
            _catalog.UpsertMany(items);
            _users = users.ToDictionary(u => u.Id, StringComparer.Ordinal);
        }

        public bool Recommends(string userId, (string Item, float Value)[] seen, string itemId)
        {
            var catalog = _catalog.Current;
            if (!catalog.TryGetIndex(itemId, out _))
            {
                _catalog.Upsert(new EntityProfile(itemId));
                catalog = _catalog.Current;
            }

            var features = new FeatureVector();
            _model.Encoder.EncodeProfile(FeatureSide.User, _users.GetValueOrDefault(userId) ?? new EntityProfile(userId), grow: false, features);
            _model.Encoder.EncodeBehaviour(seen.Select(s => s.Item).ToArray(), seen.Select(s => s.Value).ToArray(), grow: false, features);
            var excluded = seen.Select(s => catalog.IndexOf(s.Item)).Where(i => i >= 0).ToArray();
            var top = _scorer.TopK(features, new float[_model.Rank], 0f, catalog, K, excluded);
            return top.Any(t => t.Id == itemId);
        }

        public void Dispose() => _scorer.Dispose();
    }
}

public sealed record DemoPoint(int Events, double Online, double Frozen, int Models);

public sealed record DemoModel(int AtEvent, string Version);

public sealed record OnlineVersusFrozen(string Metric, string Window, double Online, double Frozen, double Lift);

public sealed record DemoSummary(
    string Scenario,
    int Events,
    int ModelsPublished,
    IReadOnlyList<int> DriftDetectedAt,
    int DriftAt,
    string Drift,
    OnlineVersusFrozen OnlineVsFrozen,
    double FreshnessP50Ms,
    double FreshnessP99Ms,
    IReadOnlyList<DemoModel> Models,
    IReadOnlyList<DemoPoint> Timeline,
    double Seconds);
