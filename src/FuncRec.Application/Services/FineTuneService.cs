using System.Diagnostics;
using System.Globalization;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Persistence;
using FuncRec.Core.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>What a fine-tune cycle decided.</summary>
public sealed record FineTuneOutcome(
    string Decision,
    string Reason,
    string? Version,
    bool Activated,
    IReadOnlyDictionary<string, double> Metrics,
    long WindowEvents,
    double Seconds);

/// <summary>
/// The transfer-learning cycle: warm-start a challenger from the active model (the champion), fine-tune it on the
/// event-log window since the champion's data ended (cut by apply order, never by client timestamps, and only up to
/// the log's settled end so a batch still being written is never skipped), compare both on a held-out slice of
/// the newest batches that the challenger did not train on, and publish the challenger as a new immutable version
/// only if it is finite and not worse; then flip the active pointer with a compare-and-swap, so a cycle that
/// overlaps another instance's, or crashes, leaves the active model as it was. Before any model exists, the first
/// cycle with enough events trains one from scratch; it is measured against popularity (recorded in the manifest)
/// and published if it is sound, since only a model can personalise and learn online. The learning rate and the amount of
/// data a cycle waits for adapt from each outcome; a drift alarm asks for a cycle early.
/// </summary>
public sealed class FineTuneService(
    IModelRegistry registry,
    IEventLog log,
    IUserStore users,
    ModelHost host,
    OnlineLearningService online,
    IOptions<FuncRecOptions> options,
    TimeProvider clock,
    ILogger<FineTuneService> logger)
{
    public const string MetricRmse = "rmse";
    public const string MetricRecall = "recall_at_10";
    private const int EvaluationUsers = 2000;
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly FuncRecOptions _options = options.Value;

    public static FineTuneControl InitialControl(FineTuneCycleOptions cycle) => new() { LearningRate = cycle.LearningRate, MinEvents = cycle.MinEvents };

    /// <summary>
    /// Runs a cycle. Scheduled runs (<paramref name="force"/> false) wait until the adaptive amount of new data
    /// has arrived or a drift alarm asked for one; forced runs (on demand) need only something new to learn.
    /// </summary>
    public async Task<FineTuneOutcome> RunAsync(string trigger, bool force, CancellationToken cancellationToken)
    {
        // On demand waits for a running cycle and then runs; a scheduled tick just lets the running one be.
        if (!await _running.WaitAsync(force ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancellationToken))
        {
            return Outcome("skipped", "a cycle is already running on this instance", null, false, [], 0, 0);
        }

        try
        {
            var clockStarted = Stopwatch.StartNew();
            var outcome = await RunCycleAsync(trigger, force, cancellationToken);
            return outcome with { Seconds = clockStarted.Elapsed.TotalSeconds };
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<FineTuneOutcome> RunCycleAsync(string trigger, bool force, CancellationToken cancellationToken)
    {
        var cycle = _options.FineTune;
        var storedControl = await registry.GetControlAsync(cancellationToken);
        var control = storedControl?.Value ?? InitialControl(cycle);
        var pointer = await registry.GetActiveAsync(cancellationToken);
        ModelArtifacts? champion = null;
        if (pointer is not null)
        {
            champion = await registry.LoadAsync(pointer.Version, cancellationToken);
            if (champion is null)
            {
                return Outcome("skipped", $"the active model {pointer.Version} has no files in the registry", null, false, [], 0, 0);
            }
        }

        var after = champion?.Manifest.DataWindow.ToPosition;
        var end = await log.GetSettledEndAsync(cancellationToken);
        if (end is null || (after is not null && string.CompareOrdinal(end, after) <= 0))
        {
            return Outcome("skipped", "no new events in the event log", null, false, [], 0, 0);
        }

        var window = CapWindow(await log.ReadAsync(after, end, cancellationToken), cycle.MaxWindowEvents);
        var forgotten = ForgottenBefore(window);
        var teaching = window.Sum(b => b.Batch.Events.Count(e => online.Targets.TargetOf(e) is not null && !IsForgotten(forgotten, e.UserId, b.Position)));
        var drifted = control.RequestedAt is not null;
        var needed = force ? 1 : drifted ? cycle.MinEvents : Math.Max(cycle.MinEvents, control.MinEvents);
        if (teaching < needed)
        {
            return Outcome("skipped", $"{teaching} new training events; waiting for {needed}", null, false, [], teaching, 0);
        }

        // Hold out the newest batches (at least one) for the comparison; the challenger trains on the rest.
        var holdoutStart = window.Count;
        var heldEvents = 0;
        while (holdoutStart > 1 && heldEvents < cycle.HoldoutFraction * teaching)
        {
            holdoutStart--;
            heldEvents += window[holdoutStart].Batch.Events.Count;
        }

        if (holdoutStart == window.Count || holdoutStart == 0)
        {
            return Outcome("skipped", "the window needs at least two batches so that one can be held out", null, false, [], teaching, 0);
        }

        var training = window.Take(holdoutStart).ToArray();
        var holdout = window.Skip(holdoutStart).ToArray();
        // Behaviour context from before the window (not trained on): what users had done when the window began.
        var context = after is null || cycle.ContextEvents == 0 ? [] : await log.ReadTailAsync(cycle.ContextEvents, after, cancellationToken);

        var data = await BuildDataAsync(context.Concat(window).ToArray(), forgotten, cancellationToken);
        var contextInteractions = data.Slice(context);
        var trainInteractions = data.Slice(training);
        var holdoutInteractions = data.Slice(holdout);
        if (trainInteractions.Length == 0 || holdoutInteractions.Length == 0)
        {
            return Outcome("skipped", "the training or hold-out part has no training events", null, false, [], teaching, 0);
        }

        var trainer = new RecommenderTrainer(TrainerOptions());
        var championModel = champion is null ? null : ModelSerializer.FromBytes(champion.Parameters);
        RecommenderModel challenger;
        try
        {
            var trainingData = new TrainingData(data.Users, data.Items, trainInteractions);
            challenger = championModel is null
                ? trainer.Fit(ServiceSchema.Create(_options.Model), trainingData, contextInteractions, cancellationToken)
                : trainer.FineTune(championModel, trainingData, new FineTuneOptions
                {
                    Epochs = cycle.Epochs,
                    LearningRate = (float)control.LearningRate,
                    BiasLearningRate = (float)control.LearningRate,
                    AnchorL2 = (float)cycle.AnchorL2,
                }, contextInteractions, cancellationToken);
        }
        catch (ModelDivergedException exception)
        {
            logger.LogWarning(exception, "The challenger diverged; the champion stays");
            await SaveControlAsync(control, storedControl?.ETag, accepted: false, "rejected: training diverged", [], cancellationToken);
            return Outcome("rejected", "training diverged", null, false, [], teaching, 0);
        }

        var known = contextInteractions.Concat(trainInteractions).ToArray();
        var seenBefore = data.SeenIn(context.Concat(training)).ToArray();
        var metrics = Evaluate(challenger, championModel, data, known, seenBefore, holdoutInteractions);
        var metric = _options.Model.Objective == ModelObjective.Rating ? MetricRmse : MetricRecall;
        var challengerScore = metrics[$"challenger_{metric}"];
        var championScore = metrics[$"champion_{metric}"];
        var finite = double.IsFinite(challengerScore) && AllFinite(challenger);

        // A first model only has to be sound: there is no champion to protect, and popularity (the baseline it is
        // compared with, and recorded against) is what is served until then anyway.
        var notWorse = championModel is null || (_options.Model.Objective == ModelObjective.Rating
            ? challengerScore <= championScore * (1 + cycle.Tolerance)
            : challengerScore >= championScore * (1 - cycle.Tolerance));
        if (!finite || !notWorse)
        {
            var reason = !finite
                ? "the challenger is not finite"
                : $"challenger {metric} {challengerScore:F4} is worse than the {(championModel is null ? "popularity baseline" : "champion")}'s {championScore:F4}";
            logger.LogInformation("Fine-tune rejected: {Reason}", reason);
            await SaveControlAsync(control, storedControl?.ETag, accepted: false, $"rejected: {reason}", metrics, cancellationToken);
            return Outcome("rejected", reason, null, false, metrics, teaching, 0);
        }

        var version = NewVersion();
        var lastTraining = training[^1];
        var manifest = new ModelManifest
        {
            Version = version,
            Parent = champion?.Manifest.Version,
            Kind = championModel is null ? "scratch" : "fine-tune",
            CreatedAt = clock.GetUtcNow(),
            SchemaHash = challenger.Schema.Hash,
            Rank = challenger.Rank,
            Loss = challenger.Loss.ToString(),
            DataWindow = new DataWindow
            {
                AfterPosition = after,
                ToPosition = lastTraining.Position,
                EndAppliedAt = lastTraining.Batch.AppliedAt,
                Events = trainInteractions.Length,
                Batches = training.Length,
            },
            Holdout = new DataWindow
            {
                AfterPosition = lastTraining.Position,
                ToPosition = holdout[^1].Position,
                EndAppliedAt = holdout[^1].Batch.AppliedAt,
                Events = holdoutInteractions.Length,
                Batches = holdout.Length,
            },
            Metrics = metrics,
            HyperParameters = HyperParameters(control),
            Decision = $"published: challenger {metric} {challengerScore:F4} vs {championScore:F4} ({trigger})",
            TrainedEvents = challenger.TrainedEvents,
        };
        await registry.PublishAsync(new ModelArtifacts(manifest, ModelSerializer.ToBytes(challenger), Core.Onnx.OnnxModelExporter.Export(challenger, version)), cancellationToken);
        var activated = await registry.TryActivateAsync(version, pointer?.ETag, cancellationToken);
        if (!activated)
        {
            logger.LogWarning("Model {Version} was published but another cycle moved the active pointer first; it stays inactive", version);
            return Outcome("published", "another instance activated a model first; this version stays inactive", version, false, metrics, teaching, 0);
        }

        await SaveControlAsync(control, storedControl?.ETag, accepted: true, manifest.Decision, metrics, cancellationToken);
        await host.RefreshAsync(cancellationToken);
        logger.LogInformation("Published and activated model {Version}: {Metric} {Challenger:F4} vs {Champion:F4}", version, metric, challengerScore, championScore);
        return Outcome("published", manifest.Decision, version, true, metrics, teaching, 0);
    }

    private TrainerOptions TrainerOptions()
    {
        var model = _options.Model;
        var rating = model.Objective == ModelObjective.Rating;
        return new TrainerOptions
        {
            Rank = model.Rank,
            Loss = model.Loss,
            Epochs = model.Epochs,
            LearningRate = (float)model.LearningRate,
            BiasLearningRate = (float)model.LearningRate,
            L2 = (float)model.L2,
            BiasL2 = (float)(model.L2 / 5),
            NegativeSamples = model.NegativeSamples,
            MinValue = rating ? (float)model.MinRating : null,
            MaxValue = rating ? (float)model.MaxRating : null,
            Seed = model.Seed,
        };
    }

    private Dictionary<string, double> Evaluate(RecommenderModel challenger, RecommenderModel? champion, WindowData data, Interaction[] known, Interaction[] seen, Interaction[] holdout)
    {
        var cap = challenger.Encoder.BehaviourGroup?.MaxValues ?? 0;
        var behaviour = new BehaviourIndex(data.Users.Count, known, cap);
        var metrics = new Dictionary<string, double>();
        if (_options.Model.Objective == ModelObjective.Rating)
        {
            metrics[$"challenger_{MetricRmse}"] = Evaluations.Rating(new CatalogScorer(challenger, data.Users, data.Items, behaviour), holdout).Rmse;
            metrics[$"champion_{MetricRmse}"] = champion is null
                ? GlobalMeanRmse(known, holdout)
                : Evaluations.Rating(new CatalogScorer(champion, data.Users, data.Items, behaviour), holdout).Rmse;
            return metrics;
        }

        // Recall@10 over the held-out positives of (at most) a fixed sample of users, ranking items they had not seen.
        var sampled = holdout.Select(h => h.User).Distinct().Order().Take(EvaluationUsers).ToHashSet();
        var test = holdout.Where(h => sampled.Contains(h.User)).ToArray();
        metrics[$"challenger_{MetricRecall}"] = Evaluations.Ranking(new CatalogScorer(challenger, data.Users, data.Items, behaviour), seen, test, 10, Environment.ProcessorCount).Recall;
        metrics[$"champion_{MetricRecall}"] = champion is null
            ? PopularityRecall(data.Items.Count, known, seen, test)
            : Evaluations.Ranking(new CatalogScorer(champion, data.Users, data.Items, behaviour), seen, test, 10, Environment.ProcessorCount).Recall;
        return metrics;
    }

    private static double GlobalMeanRmse(Interaction[] known, Interaction[] holdout)
    {
        var mean = known.Length == 0 ? 0 : known.Average(k => k.Value);
        return Math.Sqrt(holdout.Average(h => Math.Pow(h.Value - mean, 2)));
    }

    private static double PopularityRecall(int items, Interaction[] known, Interaction[] seenBefore, Interaction[] test)
    {
        var counts = new float[items];
        foreach (var k in known)
        {
            counts[k.Item] += k.Value;
        }

        var seen = seenBefore.GroupBy(k => k.User).ToDictionary(g => g.Key, g => g.Select(x => x.Item).ToHashSet());
        var recall = 0.0;
        var groups = test.GroupBy(t => t.User).ToArray();
        foreach (var group in groups)
        {
            var relevant = group.Select(g => g.Item).ToHashSet();
            var top = TopK.Select(counts, 10, seen.GetValueOrDefault(group.Key) is { } s ? s.Contains : null);
            recall += RankingMetrics.RecallAt(top, relevant, 10);
        }

        return groups.Length == 0 ? 0 : recall / groups.Length;
    }

    private static bool AllFinite(RecommenderModel model)
        => model.UserTable.AllVectors.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0
            && model.ItemTable.AllVectors.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0
            && model.UserTable.AllBiases.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0
            && model.ItemTable.AllBiases.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0
            && float.IsFinite(model.GlobalMean);

    private async Task<WindowData> BuildDataAsync(IReadOnlyList<LoggedBatch> batches, Dictionary<string, string> forgotten, CancellationToken cancellationToken)
    {
        var userIds = new List<string>();
        var seenUsers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in batches.SelectMany(b => b.Batch.Events))
        {
            if (seenUsers.Add(e.UserId))
            {
                userIds.Add(e.UserId);
            }
        }

        // Profiles give cold and sparse users their demographic features; forgotten users have none left to read.
        var profiles = new EntityProfile[userIds.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, userIds.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var stored = await users.GetAsync(userIds[i], token);
            profiles[i] = stored?.Value is { DeletedAt: null } user ? new EntityProfile(user.Id, user.Features) : new EntityProfile(userIds[i]);
        });

        var userCatalog = new EntityCatalog(profiles);
        var itemCatalog = new EntityCatalog(host.ItemDirectory.Values.OrderBy(i => i.Id, StringComparer.Ordinal).Select(i => new EntityProfile(i.Id, i.Features)));
        var interactions = new Dictionary<string, Interaction[]>(StringComparer.Ordinal);
        var seen = new Dictionary<string, Interaction[]>(StringComparer.Ordinal);
        long order = 0;
        foreach (var batch in batches)
        {
            var teaching = new List<Interaction>();
            var all = new List<Interaction>();
            foreach (var e in batch.Batch.Events)
            {
                order++;
                if (IsForgotten(forgotten, e.UserId, batch.Position))
                {
                    continue;
                }

                var interaction = new Interaction(userCatalog.IndexOf(e.UserId), itemCatalog.GetOrAdd(e.ItemId), online.Targets.TargetOf(e) ?? 0f, order);
                all.Add(interaction);
                if (online.Targets.TargetOf(e) is not null)
                {
                    teaching.Add(interaction);
                }
            }

            interactions[batch.Position] = teaching.ToArray();
            seen[batch.Position] = all.ToArray();
        }

        return new WindowData(userCatalog, itemCatalog, interactions, seen);
    }

    /// <summary>Users forgotten within the window, with the position of their (last) forget record.</summary>
    private static Dictionary<string, string> ForgottenBefore(IReadOnlyList<LoggedBatch> window)
    {
        var forgotten = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var batch in window)
        {
            foreach (var user in batch.Batch.ForgottenUsers ?? [])
            {
                forgotten[user] = batch.Position;
            }
        }

        return forgotten;
    }

    private static bool IsForgotten(Dictionary<string, string> forgotten, string userId, string position)
        => forgotten.TryGetValue(userId, out var at) && string.CompareOrdinal(position, at) < 0;

    private static List<LoggedBatch> CapWindow(IReadOnlyList<LoggedBatch> batches, int maxEvents)
    {
        var taken = new List<LoggedBatch>();
        var events = 0;
        foreach (var batch in batches)
        {
            if (taken.Count > 0 && events + batch.Batch.Events.Count > maxEvents)
            {
                break;
            }

            taken.Add(batch);
            events += batch.Batch.Events.Count;
        }

        return taken;
    }

    private async Task SaveControlAsync(FineTuneControl control, string? etag, bool accepted, string? decision, Dictionary<string, double> metrics, CancellationToken cancellationToken)
    {
        var cycle = _options.FineTune;

        // Success keeps the step and asks for data sooner; failure halves the step and waits for more data.
        var next = control with
        {
            LearningRate = Math.Clamp(accepted ? control.LearningRate * 1.1 : control.LearningRate * 0.5, cycle.LearningRate / 16, cycle.LearningRate * 4),
            MinEvents = Math.Clamp(accepted ? control.MinEvents / 2 : control.MinEvents * 2, cycle.MinEvents, cycle.MinEvents * 64),
            Cycles = control.Cycles + 1,
            Published = control.Published + (accepted ? 1 : 0),
            Rejected = control.Rejected + (accepted ? 0 : 1),
            LastRunAt = clock.GetUtcNow(),
            LastDecision = decision,
            LastMetrics = metrics,
            RequestedAt = null,
            RequestReason = null,
        };
        if (!await registry.TrySaveControlAsync(next, etag, cancellationToken))
        {
            // Someone (a drift alarm, another cycle) changed it meanwhile; apply this outcome on top of theirs once.
            var fresh = await registry.GetControlAsync(cancellationToken);
            if (fresh is not null)
            {
                await registry.TrySaveControlAsync(next with { RequestedAt = null }, fresh.ETag, cancellationToken);
            }
        }
    }

    private Dictionary<string, string> HyperParameters(FineTuneControl control)
    {
        var model = _options.Model;
        var cycle = _options.FineTune;
        string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["objective"] = model.Objective.ToString(),
            ["rank"] = model.Rank.ToString(CultureInfo.InvariantCulture),
            ["epochs"] = model.Epochs.ToString(CultureInfo.InvariantCulture),
            ["learningRate"] = F(model.LearningRate),
            ["l2"] = F(model.L2),
            ["negativeSamples"] = model.NegativeSamples.ToString(CultureInfo.InvariantCulture),
            ["fineTune.epochs"] = cycle.Epochs.ToString(CultureInfo.InvariantCulture),
            ["fineTune.learningRate"] = F(control.LearningRate),
            ["fineTune.anchorL2"] = F(cycle.AnchorL2),
            ["fineTune.holdoutFraction"] = F(cycle.HoldoutFraction),
            ["online.learningRate"] = F(online.Grid.BestRate),
            ["seed"] = model.Seed.ToString(CultureInfo.InvariantCulture),
        };
    }

    private string NewVersion() => $"v{clock.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    private static FineTuneOutcome Outcome(string decision, string reason, string? version, bool activated, Dictionary<string, double> metrics, long events, double seconds)
        => new(decision, reason, version, activated, metrics, events, seconds);

    /// <summary>Catalogs and interactions of the batches read, by batch position.</summary>
    private sealed record WindowData(EntityCatalog Users, EntityCatalog Items, Dictionary<string, Interaction[]> ByPosition, Dictionary<string, Interaction[]> SeenByPosition)
    {
        /// <summary>The interactions that teach (have a target) in these batches.</summary>
        public Interaction[] Slice(IEnumerable<LoggedBatch> batches) => batches.SelectMany(b => ByPosition.GetValueOrDefault(b.Position) ?? []).ToArray();

        /// <summary>Every interaction in these batches, teaching or not: what a user has already seen.</summary>
        public Interaction[] SeenIn(IEnumerable<LoggedBatch> batches) => batches.SelectMany(b => SeenByPosition.GetValueOrDefault(b.Position) ?? []).ToArray();
    }
}
