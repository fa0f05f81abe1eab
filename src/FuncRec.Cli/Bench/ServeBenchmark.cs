using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Services;
using FuncRec.Cli.Hosting;
using FuncRec.Core.Data;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using FuncRec.Core.Persistence;
using FuncRec.Core.Training;
using FuncRec.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Cli.Bench;

/// <summary>The JSON <c>funcrec bench serve</c> writes.</summary>
public sealed record ServeReport(
    [property: JsonPropertyName("catalog_items")] int CatalogItems,
    [property: JsonPropertyName("users")] int Users,
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("generator")] string Generator,
    [property: JsonPropertyName("recommend_p50_ms")] double RecommendP50Ms,
    [property: JsonPropertyName("recommend_p99_ms")] double RecommendP99Ms,
    [property: JsonPropertyName("requests_per_second")] double RequestsPerSecond,
    [property: JsonPropertyName("baseline_requests_per_second")] double BaselineRequestsPerSecond,
    [property: JsonPropertyName("inprocess_recommend_per_second")] double InProcessRecommendPerSecond,
    [property: JsonPropertyName("recommend_ratio")] double RecommendRatio,
    [property: JsonPropertyName("inprocess_recommend_per_second_32_callers")] double InProcessAtHttpConcurrency,
    [property: JsonPropertyName("recommend_ratio_32_callers")] double RecommendRatioAtHttpConcurrency,
    [property: JsonPropertyName("ingest_events_per_second")] double IngestEventsPerSecond,
    [property: JsonPropertyName("ingest_p99_ms")] double IngestP99Ms,
    [property: JsonPropertyName("queue_depth_at_end")] long QueueDepthAtEnd,
    [property: JsonPropertyName("consumer_events_per_second")] double ConsumerEventsPerSecond,
    [property: JsonPropertyName("freshness_ms_p50")] double FreshnessP50Ms,
    [property: JsonPropertyName("freshness_ms_p99")] double FreshnessP99Ms,
    [property: JsonPropertyName("freshness_probes")] int FreshnessProbes,
    [property: JsonPropertyName("freshness_slowest")] IReadOnlyList<FreshnessProbe> FreshnessSlowest,
    [property: JsonPropertyName("freshness_unchanged_probes")] int FreshnessUnchangedProbes,
    [property: JsonPropertyName("freshness_queued_ms_p50")] double FreshnessQueuedP50Ms,
    [property: JsonPropertyName("freshness_queued_ms_p99")] double FreshnessQueuedP99Ms,
    [property: JsonPropertyName("freshness_queued_probes")] int FreshnessQueuedProbes,
    [property: JsonPropertyName("finetune_cycle_seconds")] double FineTuneCycleSeconds,
    [property: JsonPropertyName("finetune_events")] long FineTuneEvents,
    [property: JsonPropertyName("finetune_decision")] string FineTuneDecision,
    [property: JsonPropertyName("processor_count")] int ProcessorCount);

/// <summary>One freshness probe: when its post was sent (UTC, to line it up with the server's own logs) and how long until its score changed.</summary>
/// <remarks>A probe whose score has not changed 10 s after its post is counted apart (<c>freshness_unchanged_probes</c>), not in the percentiles.</remarks>
public sealed record FreshnessProbe(
    [property: JsonPropertyName("posted_at")] DateTimeOffset PostedAt,
    [property: JsonPropertyName("ms")] double Milliseconds);

/// <summary>
/// <c>funcrec bench serve</c>: the controlled measurement of the serving loop over real HTTP. Seeds a data
/// directory (10,000 items, users with histories, an active model of the default configuration), starts
/// <c>funcrec serve</c> as its own process, and drives it from a load generator in a third process. Phases:
/// recommend, baseline (a bare ASP.NET Core endpoint, same generator), in-process (the recommend service on all
/// cores, no HTTP: one caller per core, and as many callers as the recommend phase's clients), ingest (100 events per request, 8 clients, consumer running) with freshness probes alongside,
/// and one fine-tune cycle over 100,000 events.
/// </summary>
public sealed class ServeBenchmark(TextWriter console, string workDirectory, int items = 10_000, int users = 10_000, bool quick = false, string? wrk = null)
{
    private const int Concurrency = 32;
    private const int IngestClients = 8;
    private const int FineTuneWindow = 100_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TimeSpan _warmup = TimeSpan.FromSeconds(quick ? 2 : 5);
    private readonly TimeSpan _measure = TimeSpan.FromSeconds(quick ? 5 : 20);

    public async Task<ServeReport> RunAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(workDirectory, "data");
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }

        var settings = new Dictionary<string, string?>
        {
            ["FuncRecFineTuneSchedule"] = "0 0 0 1 1 *",
            ["FuncRec:FineTune:MaxWindowEvents"] = FineTuneWindow.ToString(CultureInfo.InvariantCulture),
            ["FuncRec:FineTune:MinEvents"] = "1000",
            ["FuncRec:Serving:ModelRefreshSeconds"] = "5",

            // The load is random clicks, which the drift detector rightly flags; a fine-tune it would start mid-phase
            // belongs to no phase (the fine-tune phase measures one on purpose).
            ["FuncRec:FineTune:FineTuneOnDrift"] = "false",
        };
        var rank = await SeedAsync(dataDirectory, settings, cancellationToken);

        console.WriteLine("… in-process: the recommend service on all cores, no HTTP");
        var inProcess = await InProcessAsync(dataDirectory, settings, Environment.ProcessorCount, cancellationToken);
        console.WriteLine($"   {inProcess:N0} recommendations/s");

        // The scorer batches calls that meet, so the service does more with many callers than with one per core:
        // measured at the recommend phase's concurrency too, the ratio against it is the stricter one.
        console.WriteLine($"… in-process with {Concurrency} concurrent callers (the recommend phase's concurrency), no HTTP");
        var inProcessConcurrent = await InProcessAsync(dataDirectory, settings, Concurrency, cancellationToken);
        console.WriteLine($"   {inProcessConcurrent:N0} recommendations/s");

        console.WriteLine("… consumer: the queue consumer alone draining a filled queue in-process (no HTTP, no producers)");
        var consumer = await ConsumerAsync(dataDirectory, settings, cancellationToken);
        console.WriteLine($"   {consumer:N0} events/s applied");

        console.WriteLine("… baseline: a bare ASP.NET Core endpoint returning constant JSON");
        var baselinePort = FreePort();
        LoadResult baseline;
        using (var server = StartProcess($"bench baseline-server --urls http://127.0.0.1:{baselinePort}", null))
        {
            await WaitForAsync(new Uri($"http://127.0.0.1:{baselinePort}/"), "constant", cancellationToken);
            baseline = await LoadAsync(new Uri($"http://127.0.0.1:{baselinePort}/"), LoadGenerator.Constant, Concurrency, cancellationToken);
            server.Kill(entireProcessTree: true);
        }

        console.WriteLine($"   {baseline.RequestsPerSecond:N0} requests/s (p99 {baseline.P99Ms:F2} ms)");

        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var serve = StartProcess($"serve --data-dir \"{dataDirectory}\" --urls http://127.0.0.1:{port}", settings);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        await WaitForAsync(address, "api/health", cancellationToken);
        await WaitForModelAsync(http, cancellationToken);

        console.WriteLine("… recommend: GET /api/recommendations/{user}?k=10&excludeSeen=true");
        var recommend = await LoadAsync(address, LoadGenerator.Recommend, Concurrency, cancellationToken);
        console.WriteLine($"   {recommend.RequestsPerSecond:N0} requests/s, p50 {recommend.P50Ms:F2} ms, p99 {recommend.P99Ms:F2} ms, failures {recommend.Failures}");

        console.WriteLine("… ingest: POST /api/events (100 per request, 8 clients) with freshness probes alongside");
        using var probesStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ingestTask = LoadAsync(address, LoadGenerator.Ingest, IngestClients, cancellationToken);
        await Task.Delay(_warmup, cancellationToken);
        var (singleLoop, queuedLoop) = await ProbeFreshnessAsync(http, quick ? 50 : 200, _measure, cancellationToken);
        var freshness = singleLoop.Changed.Select(p => p.Milliseconds).ToList();
        var queuedFreshness = queuedLoop.Changed.Select(p => p.Milliseconds).ToList();
        var ingest = await ingestTask;
        var depth = (await http.GetFromJsonAsync<JsonElement>("api/health", cancellationToken)).GetProperty("queueDepth").GetInt64();
        console.WriteLine($"   {ingest.Events / ingest.Seconds:N0} events/s accepted (p99 {ingest.P99Ms:F1} ms), queue depth at end {depth}; freshness p50 {Percentile(freshness, 0.5):F1} ms, p99 {Percentile(freshness, 0.99):F1} ms over {freshness.Count} one-event posts ({singleLoop.Unchanged} unchanged after 10 s); through the queue p50 {Percentile(queuedFreshness, 0.5):F1} ms, p99 {Percentile(queuedFreshness, 0.99):F1} ms over {queuedFreshness.Count} probes");
        await DrainAsync(http, cancellationToken);

        console.WriteLine($"… fine-tune: one cycle over {FineTuneWindow:N0} events (read the log window, train, evaluate, export, publish)");
        var clock = Stopwatch.StartNew();
        var response = await http.PostAsync("api/models/fine-tune", null, cancellationToken);
        var outcome = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var cycleSeconds = clock.Elapsed.TotalSeconds;
        var decision = outcome.GetProperty("decision").GetString() ?? "?";
        var windowEvents = outcome.GetProperty("windowEvents").GetInt64();
        console.WriteLine($"   {decision} in {cycleSeconds:F2} s over {windowEvents:N0} training events ({outcome.GetProperty("reason").GetString()})");
        serve.Kill(entireProcessTree: true);

        var ratio = recommend.RequestsPerSecond / Math.Min(baseline.RequestsPerSecond, inProcess);
        var ratioConcurrent = recommend.RequestsPerSecond / Math.Min(baseline.RequestsPerSecond, inProcessConcurrent);
        return new ServeReport(
            items, users, rank, Concurrency, wrk is null ? "built-in HttpClient generator (closed loop, separate process)" : "wrk, 1 thread (closed loop, separate process)",
            recommend.P50Ms, recommend.P99Ms, recommend.RequestsPerSecond,
            baseline.RequestsPerSecond, inProcess, ratio, inProcessConcurrent, ratioConcurrent,
            ingest.Events / ingest.Seconds, ingest.P99Ms, depth, consumer,
            Percentile(freshness, 0.5), Percentile(freshness, 0.99), freshness.Count, Slowest(singleLoop.Changed, 5), singleLoop.Unchanged,
            Percentile(queuedFreshness, 0.5), Percentile(queuedFreshness, 0.99), queuedFreshness.Count,
            cycleSeconds, windowEvents, decision, Environment.ProcessorCount);
    }

    /// <summary>Users, items with features, histories and an active model of the service's default configuration.</summary>
    private async Task<int> SeedAsync(string dataDirectory, Dictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        console.WriteLine($"… seeding {items:N0} items, {users:N0} users and a model in {dataDirectory}");
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions
        {
            Users = users,
            Items = items,
            Categories = 40,
            Events = quick ? 50_000 : 150_000,
            ArrivingItems = 0,
            ArrivingUsers = 0,
            ExplicitRatings = false,
            Seed = 5,
        });
        var model = new ModelOptions();
        var trainer = new RecommenderTrainer(new TrainerOptions
        {
            Rank = model.Rank,
            Loss = model.Loss,
            Epochs = quick ? 3 : 6,
            LearningRate = (float)model.LearningRate,
            BiasLearningRate = (float)model.LearningRate,
            L2 = (float)model.L2,
            BiasL2 = (float)(model.L2 / 5),
            NegativeSamples = model.NegativeSamples,
            Seed = model.Seed,
        });
        var recommender = trainer.Fit(ServiceSchema.Create(model), world.All, cancellationToken: cancellationToken);

        // Disposed before the phases start: its stores claim the directory (SqliteDatabase.ClaimDataDirectory), and each phase's host claims it next.
        await using var database = new SqliteDatabase(dataDirectory);
        var itemStore = new SqliteItemStore(database);
        var userStore = new SqliteUserStore(database);
        var now = DateTimeOffset.UtcNow;
        foreach (var item in world.Items.Profiles)
        {
            await itemStore.UpsertAsync(new ItemDocument { Id = item.Id, Features = new Dictionary<string, FeatureValue>(item.Fields), UpdatedAt = now }, cancellationToken);
        }

        var histories = world.Events.GroupBy(e => e.User).ToDictionary(g => g.Key, g => g.TakeLast(50).ToArray());
        for (var u = 0; u < world.Users.Count; u++)
        {
            var recent = histories.TryGetValue(u, out var events)
                ? events.Select(e => new RecentInteraction(world.Items[e.Item].Id, "click", 1.5f, 1.5f, now.AddDays(-1))).ToList()
                : [];
            await userStore.TryWriteAsync(new UserDocument { Id = world.Users[u].Id, Features = new Dictionary<string, FeatureValue>(world.Users[u].Fields), Recent = recent, UpdatedAt = now }, null, cancellationToken);
        }

        var registry = new FileModelRegistry(database, TimeProvider.System);
        var version = $"v{now:yyyyMMdd-HHmmss}-seed";
        await registry.PublishAsync(new ModelArtifacts(
            new ModelManifest
            {
                Version = version,
                Kind = "offline",
                CreatedAt = now,
                SchemaHash = recommender.Schema.Hash,
                Rank = recommender.Rank,
                Loss = recommender.Loss.ToString(),
                DataWindow = new DataWindow { EndAppliedAt = now.AddHours(-1) },
                TrainedEvents = recommender.TrainedEvents,
            },
            ModelSerializer.ToBytes(recommender),
            OnnxModelExporter.Export(recommender, version)), cancellationToken);
        await registry.TryActivateAsync(version, null, cancellationToken);
        return recommender.Rank;
    }

    private async Task<double> InProcessAsync(string dataDirectory, Dictionary<string, string?> settings, int callers, CancellationToken cancellationToken)
    {
        await using var app = LocalHost.Build(dataDirectory, "http://127.0.0.1:0", settings, LogLevel.Warning);
        var host = app.Services.GetRequiredService<ModelHost>();
        await host.RefreshAsync(cancellationToken);
        var service = app.Services.GetRequiredService<RecommendationService>();
        var clock = Stopwatch.StartNew();
        var measuring = false;
        long count = 0;
        var end = _warmup + _measure;
        var workers = Enumerable.Range(0, callers).Select(t => Task.Run(async () =>
        {
            var random = new Random(t);
            while (clock.Elapsed < end)
            {
                await service.RecommendAsync($"u{random.Next(users)}", 10, true, null, null, cancellationToken);
                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref count);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.Delay(_warmup, cancellationToken);
        Volatile.Write(ref measuring, true);
        await Task.WhenAll(workers);
        return count / _measure.TotalSeconds;
    }

    /// <summary>
    /// The consumer's own capacity: batches shaped like the ingest load are queued first (a warm-up share, then the
    /// measured share), then the consumer drains them with the whole machine to itself. It bounds what ingest can
    /// sustain with the consumer keeping up.
    /// </summary>
    private async Task<double> ConsumerAsync(string dataDirectory, Dictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        await using var app = LocalHost.Build(dataDirectory, "http://127.0.0.1:0", settings, LogLevel.Warning);
        await app.Services.GetRequiredService<ModelHost>().RefreshAsync(cancellationToken);
        var queue = app.Services.GetRequiredService<SqliteEventQueue>();
        var consumer = app.Services.GetRequiredService<QueueConsumer>();
        var random = new Random(7);
        var counter = 0L;
        async Task FillAsync(int batches)
        {
            for (var b = 0; b < batches; b++)
            {
                var events = new AcceptedEvent[LoadGenerator.IngestBatchSize];
                for (var i = 0; i < events.Length; i++)
                {
                    events[i] = new AcceptedEvent { EventId = $"consumer-{counter++}", UserId = $"u{random.Next(users)}", ItemId = $"i{random.Next(items)}", Type = "click" };
                }

                // Batch ids as the ingest service makes them (32 hex digits), from the seeded generator.
                var batch = new EventBatch { BatchId = $"{random.NextInt64():x16}{counter:x16}", AcceptedAt = DateTimeOffset.UtcNow, Events = events };
                await queue.EnqueueAsync(JsonSerializer.Serialize(batch, Json), cancellationToken);
            }
        }

        async Task DrainLocalAsync()
        {
            while (await queue.CountAsync(cancellationToken) > 0)
            {
                await Task.Delay(2, cancellationToken);
            }
        }

        // A running process has its users' documents in memory; read them all once so the figure is not about a cold cache.
        var userStore = app.Services.GetRequiredService<FuncRec.Application.Ports.IUserStore>();
        for (var u = 0; u < users; u++)
        {
            await userStore.GetAsync($"u{u}", cancellationToken);
        }

        var warmupBatches = quick ? 20 : 50;
        var measuredBatches = quick ? 100 : 400;
        await FillAsync(warmupBatches);
        await consumer.StartAsync(cancellationToken);
        await DrainLocalAsync();
        await consumer.StopAsync(cancellationToken);
        await FillAsync(measuredBatches);
        var clock = Stopwatch.StartNew();
        await consumer.StartAsync(cancellationToken);
        await DrainLocalAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        await consumer.StopAsync(cancellationToken);
        return measuredBatches * LoadGenerator.IngestBatchSize / seconds;
    }

    private async Task<LoadResult> LoadAsync(Uri address, string pattern, int concurrency, CancellationToken cancellationToken)
    {
        if (wrk is not null)
        {
            return await WrkLoadGenerator.RunAsync(wrk, address, pattern, concurrency, _warmup, _measure, users, items, seed: 7, cancellationToken);
        }

        using var process = StartProcess(
            $"bench load --url {address} --pattern {pattern} --concurrency {concurrency} --warmup {_warmup.TotalSeconds} --duration {_measure.TotalSeconds} --users {users} --items {items}",
            null,
            redirectOutput: true);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"The load generator failed: {output}");
        return LoadGenerator.FromJson(line);
    }

    /// <summary>
    /// Two probe loops run side by side over the measured part of the ingest load: the issue's probe — a post of the
    /// one event, which the service applies in the request — up to <paramref name="probes"/> times, and the same
    /// event inside a post of 11 (the probe plus 10 for other users), which goes through the queue consumer behind
    /// the ingest load (the freshness of bulk ingestion), up to half as often. Each loop has its own users, so one
    /// loop's posts never move the other's scores.
    /// </summary>
    private static async Task<(ProbeLoop Single, ProbeLoop Queued)> ProbeFreshnessAsync(HttpClient http, int probes, TimeSpan budget, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var single = ProbeLoopAsync(http, inBulk: false, probes, deadline, budget, cancellationToken);
        var queued = ProbeLoopAsync(http, inBulk: true, probes / 2, deadline, budget, cancellationToken);
        return (await single, await queued);
    }

    /// <summary>What one probe loop saw: the probes whose score changed, and how many did not within 10 s.</summary>
    private sealed record ProbeLoop(List<FreshnessProbe> Changed, int Unchanged);

    private static async Task<ProbeLoop> ProbeLoopAsync(HttpClient http, bool inBulk, int probes, Stopwatch deadline, TimeSpan budget, CancellationToken cancellationToken)
    {
        var changed = new List<FreshnessProbe>();
        var unchanged = 0;
        var random = new Random(inBulk ? 98 : 99);
        var kind = inBulk ? "queued" : "single";
        for (var p = 0; p < probes && deadline.Elapsed < budget; p++)
        {
            var user = $"probe-{kind}-u{random.Next(1000)}";
            var item = $"i{random.Next(1000)}";
            var before = await ScoreAsync(http, user, item, cancellationToken);
            var events = new List<object> { new { eventId = $"probe-{kind}-{p}-{Guid.NewGuid():N}", userId = user, itemId = item, type = "purchase" } };
            if (inBulk)
            {
                events.AddRange(Enumerable.Range(0, 10).Select(f => new { eventId = $"probe-{p}-filler-{f}-{Guid.NewGuid():N}", userId = $"filler-u{random.Next(1000)}", itemId = $"i{random.Next(1000)}", type = "click" }));
            }

            var postedAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var post = await http.PostAsJsonAsync("api/events", events, cancellationToken);
            post.EnsureSuccessStatusCode();
            var seen = false;
            while (!seen && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (await ScoreAsync(http, user, item, cancellationToken) != before)
                {
                    changed.Add(new FreshnessProbe(postedAt, clock.Elapsed.TotalMilliseconds));
                    seen = true;
                }
                else
                {
                    await Task.Delay(2, cancellationToken);
                }
            }

            unchanged += seen ? 0 : 1;
        }

        return new ProbeLoop(changed, unchanged);
    }

    private static async Task<double> ScoreAsync(HttpClient http, string user, string item, CancellationToken cancellationToken)
    {
        var response = await http.PostAsJsonAsync("api/score", new { userId = user, itemIds = new[] { item } }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var scores = body.GetProperty("scores");
        return scores.GetArrayLength() == 0 ? double.NaN : scores[0].GetProperty("score").GetDouble();
    }

    private static async Task WaitForModelAsync(HttpClient http, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 600; i++)
        {
            var health = await http.GetFromJsonAsync<JsonElement>("api/health", cancellationToken);
            if (health.GetProperty("modelVersion").ValueKind == JsonValueKind.String)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException("The server did not load the seeded model.");
    }

    private static async Task DrainAsync(HttpClient http, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 6000; i++)
        {
            var health = await http.GetFromJsonAsync<JsonElement>("api/health", cancellationToken);
            if (health.GetProperty("queueDepth").GetInt64() == 0)
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static async Task WaitForAsync(Uri address, string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync(path, cancellationToken)).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{address}{path} did not answer.");
    }

    private static ChildProcess StartProcess(string arguments, Dictionary<string, string?>? settings, bool redirectOutput = false)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the funcrec executable.");
        var assembly = typeof(ServeBenchmark).Assembly.Location;
        var info = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new ProcessStartInfo(self, $"\"{assembly}\" {arguments}")
            : new ProcessStartInfo(self, arguments);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = redirectOutput;
        info.RedirectStandardError = false;
        foreach (var (key, value) in settings ?? [])
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start: {arguments}"));
    }

    /// <summary>A process this benchmark started; disposing it kills it (and its children) so a failed run leaves nothing behind.</summary>
    private sealed class ChildProcess(Process process) : IDisposable
    {
        public StreamReader StandardOutput => process.StandardOutput;

        public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

        public void Kill(bool entireProcessTree)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree);
            }
        }

        public void Dispose()
        {
            try
            {
                Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The <paramref name="count"/> slowest probes, slowest first: the tail is what a percentile hides.</summary>
    private static FreshnessProbe[] Slowest(List<FreshnessProbe> probes, int count)
        => [.. probes.OrderByDescending(p => p.Milliseconds).Take(count)];

    private static double Percentile(List<double> values, double q) => Core.Evaluation.Percentiles.NearestRank(values, q);
}
