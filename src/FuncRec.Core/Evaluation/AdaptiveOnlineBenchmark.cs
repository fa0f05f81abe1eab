using System.Text.Json.Serialization;
using FuncRec.Core.Data;
using FuncRec.Core.Drift;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Serving;
using FuncRec.Core.Training;

namespace FuncRec.Core.Evaluation;

/// <summary>Settings of the online drift detector, shared by the service and this benchmark.</summary>
public static class DriftDefaults
{
    /// <summary>On squared rating errors (scale: a few units squared).</summary>
    public static PageHinkleyOptions Rating { get; } = new() { Delta = 0.05, Threshold = 60 };

    /// <summary>On BPR losses (scale: below ln 2 on average); chosen on measured runs (docs/benchmarks.md, section 2).</summary>
    public static PageHinkleyOptions Ranking { get; } = new() { Delta = 0.05, Threshold = 80 };

    /// <summary>The settings for a model learning with <paramref name="loss"/>: squared errors or ranking losses.</summary>
    public static PageHinkleyOptions For(LossKind loss) => loss == LossKind.Squared ? Rating : Ranking;
}

/// <summary>
/// Measures the two adaptive mechanisms of online learning on the synthetic world, as the service runs them
/// (a frozen model plus per-user online state learned from each event): the adaptive learning rate (the
/// candidate grid, serving the candidate with the lowest recent prequential error) against every fixed rate of
/// the same grid, and the Page–Hinkley drift detector with and without a drift. Each run: a world with its own
/// seed, a model trained on the first part of the stream, then test-then-train over the rest. Either objective the
/// service has: ratings (squared error on explicit ratings, <see cref="DriftDefaults.Rating"/>) or ranking (BPR
/// loss on implicit clicks with a sampled negative, <see cref="DriftDefaults.Ranking"/>; the service's default).
/// </summary>
public sealed class AdaptiveOnlineBenchmark
{
    public const float BaseRate = 0.1f;
    public static readonly float[] Multipliers = [0.25f, 0.5f, 1f, 2f, 4f];

    /// <param name="detector">The drift detector's settings; null for the service's (<see cref="DriftDefaults"/>) for the objective.</param>
    /// <param name="firstSeed">Run r uses world seed firstSeed + r with a drift and firstSeed + 1000 + r without: other seeds check that settings tuned on one set hold on another.</param>
    public AdaptiveReport Run(int runs = 10, int events = 16_000, int pretrain = 6_000, int driftAt = 10_000, int detectionWindow = 2_000, Action<string>? progress = null, LossKind loss = LossKind.Squared, PageHinkleyOptions? detector = null, ulong firstSeed = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        detector ??= DriftDefaults.For(loss);
        if (loss is not (LossKind.Squared or LossKind.Bpr))
        {
            throw new ArgumentOutOfRangeException(nameof(loss), loss, "The service learns online with squared (rating) or BPR (ranking) loss.");
        }

        var fixedErrors = new double[Multipliers.Length];
        double adaptiveError = 0;
        var detectedWithDrift = 0;
        var falseAlarmRuns = 0;
        var delays = new List<int>();
        for (var run = 0; run < runs; run++)
        {
            var seed = firstSeed + (ulong)run;
            var drifted = Stream(seed, events, pretrain, driftAt, loss);
            var result = Replay(drifted, seed, loss, detector);
            for (var m = 0; m < Multipliers.Length; m++)
            {
                fixedErrors[m] += result.FixedError[m] / runs;
            }

            adaptiveError += result.AdaptiveError / runs;
            var alarm = result.Alarms.FirstOrDefault(a => a >= driftAt - pretrain, -1);
            if (alarm >= 0 && alarm < driftAt - pretrain + detectionWindow)
            {
                detectedWithDrift++;
                delays.Add(alarm - (driftAt - pretrain));
            }

            var stationary = Replay(Stream(seed + 1000, events, pretrain, null, loss), seed + 1000, loss, detector);
            if (stationary.Alarms.Count > 0)
            {
                falseAlarmRuns++;
            }

            progress?.Invoke($"run {run + 1}/{runs}: adaptive {result.AdaptiveError:F4}, best fixed {result.FixedError.Min():F4}, drift alarm at {(alarm < 0 ? "none" : (alarm - (driftAt - pretrain)).ToString(System.Globalization.CultureInfo.InvariantCulture))} after the drift, alarms before it {result.Alarms.Count(a => a < driftAt - pretrain)}, stationary alarms {stationary.Alarms.Count}");
        }

        var best = Array.IndexOf(fixedErrors, fixedErrors.Min());
        return new AdaptiveReport(
            loss == LossKind.Squared ? "rating" : "ranking",
            loss == LossKind.Squared ? "prequential RMSE" : "mean prequential BPR loss",
            runs,
            Multipliers.Select(m => AsWritten(BaseRate * m)).ToArray(),
            fixedErrors,
            AsWritten(BaseRate * Multipliers[best]),
            fixedErrors[best],
            AsWritten(BaseRate),
            fixedErrors[Array.IndexOf(Multipliers, 1f)],
            adaptiveError,
            detectedWithDrift,
            falseAlarmRuns,
            delays.Count == 0 ? double.NaN : delays.Average(),
            detectionWindow,
            detector.Delta,
            detector.Threshold,
            firstSeed);
    }

    /// <summary>A rate as its shortest decimal (0.4, not 0.4000000059604645: the float's exact value widened to double).</summary>
    private static double AsWritten(float rate) => double.Parse(rate.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    private static (SyntheticWorld World, RecommenderModel Model) Stream(ulong seed, int events, int pretrain, int? driftAt, LossKind loss)
    {
        var ratings = loss == LossKind.Squared;
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Users = 400, Items = 300, Events = events, DriftAt = driftAt, Seed = seed, ArrivingUsers = 0.1f, ArrivingItems = 0.1f, ExplicitRatings = ratings });
        var trainer = ratings
            ? new TrainerOptions { Rank = 16, Epochs = 10, LearningRate = 0.05f, L2 = 0.05f, BiasL2 = 0.01f, MinValue = 1, MaxValue = 5, Seed = seed }
            : new TrainerOptions { Rank = 16, Epochs = 10, LearningRate = 0.05f, L2 = 0.005f, Loss = LossKind.Bpr, NegativeSamples = 3, Seed = seed };
        var model = new RecommenderTrainer(trainer).Fit(SyntheticWorld.Schema(), world.All.With(world.Events[..pretrain]));
        return (world, model);
    }

    /// <summary>Test-then-train over the events after pre-training, for every fixed rate and the adaptive grid at once.</summary>
    private static ReplayResult Replay((SyntheticWorld World, RecommenderModel Model) setup, ulong seed, LossKind loss, PageHinkleyOptions detectorOptions)
    {
        var (world, model) = setup;
        var negatives = new SeededRandom(seed ^ 0x5eed);
        var pretrain = (int)model.TrainedEvents;
        var rates = Multipliers.Select(m => BaseRate * m).ToArray();
        var grid = new LearningRateGrid(BaseRate, Multipliers);
        var detector = new PageHinkleyDetector(detectorOptions);
        var update = new OnlineUpdateOptions();
        var states = new Dictionary<int, UserOnlineState>();
        var histories = new UserHistories(30);
        foreach (var e in world.Events[..pretrain])
        {
            histories.Record(e.User, e.Item, e.Value);
        }

        var itemVectors = new float[world.Items.Count][];
        var itemBiases = new float[world.Items.Count];
        var encoded = new FeatureVector();
        for (var i = 0; i < world.Items.Count; i++)
        {
            encoded.Clear();
            model.Encoder.EncodeProfile(FeatureSide.Item, world.Items[i], grow: false, encoded);
            itemVectors[i] = new float[model.Rank];
            model.ItemVector(encoded, itemVectors[i], out itemBiases[i]);
        }

        var fixedLossSums = new double[rates.Length];
        double adaptiveLossSums = 0;
        var alarms = new List<int>();
        var p = new float[model.Rank];
        var losses = new double[rates.Length];
        var recentItems = new int[30];
        var recentValues = new float[30];
        var count = 0;
        for (var t = pretrain; t < world.Events.Length; t++)
        {
            var e = world.Events[t];
            if (!states.TryGetValue(e.User, out var state))
            {
                states[e.User] = state = new UserOnlineState(model.Rank, "v", rates.Length);
            }

            encoded.Clear();
            model.Encoder.EncodeProfile(FeatureSide.User, world.Users[e.User], grow: false, encoded);
            var n = histories.Recent(e.User, recentItems, recentValues);
            model.Encoder.EncodeBehaviour(recentItems[..n].Select(i => world.Items[i].Id).ToArray(), recentValues[..n], grow: false, encoded);
            model.UserVector(encoded, p, out var userBias);
            var served = grid.Best;
            if (loss == LossKind.Squared)
            {
                OnlineUserUpdater.ApplyPointwise(model, p, userBias, state, itemVectors[e.Item], itemBiases[e.Item], e.Value, 1f, update, rates, losses);
            }
            else
            {
                // As the service does: one negative drawn uniformly from the other items (here from every item of the
                // world, also those yet to arrive, which the service's catalog would not hold yet), and the weight the
                // service gives a click posted with a value: that value (1 here, as in pre-training).
                var negative = negatives.Next(world.Items.Count - 1);
                if (negative >= e.Item)
                {
                    negative++;
                }

                OnlineUserUpdater.ApplyPairwise(model, p, state, itemVectors[e.Item], itemBiases[e.Item], itemVectors[negative], itemBiases[negative], EventTypes.ImplicitWeight("click", e.Value), update, rates, losses);
            }

            for (var c = 0; c < rates.Length; c++)
            {
                fixedLossSums[c] += losses[c];
            }

            adaptiveLossSums += losses[served];
            grid.Observe(losses);
            if (detector.Add(losses[served]))
            {
                alarms.Add(t - pretrain);
            }

            histories.Record(e.User, e.Item, e.Value);
            count++;
        }

        // Squared errors report as RMSE, BPR losses as their mean.
        Func<double, double> error = loss == LossKind.Squared ? sum => Math.Sqrt(sum / count) : sum => sum / count;
        return new ReplayResult(fixedLossSums.Select(error).ToArray(), error(adaptiveLossSums), alarms);
    }

    private sealed record ReplayResult(double[] FixedError, double AdaptiveError, List<int> Alarms);
}

/// <summary>One objective's results; <see cref="ErrorMetric"/> names what the error fields hold.</summary>
public sealed record AdaptiveReport(
    [property: JsonPropertyName("objective")] string Objective,
    [property: JsonPropertyName("error_metric")] string ErrorMetric,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("fixed_rates")] double[] FixedRates,
    [property: JsonPropertyName("fixed_error")] double[] FixedError,
    [property: JsonPropertyName("best_fixed_rate")] double BestFixedRate,
    [property: JsonPropertyName("best_fixed_error")] double BestFixedError,
    [property: JsonPropertyName("default_rate")] double DefaultRate,
    [property: JsonPropertyName("default_fixed_error")] double DefaultFixedError,
    [property: JsonPropertyName("adaptive_error")] double AdaptiveError,
    [property: JsonPropertyName("drift_detected_runs")] int DriftDetectedRuns,
    [property: JsonPropertyName("false_alarm_runs")] int FalseAlarmRuns,
    [property: JsonPropertyName("mean_detection_delay_events")] double MeanDetectionDelay,
    [property: JsonPropertyName("detection_window_events")] int DetectionWindow,
    [property: JsonPropertyName("detector_delta")] double DetectorDelta,
    [property: JsonPropertyName("detector_threshold")] double DetectorThreshold,
    [property: JsonPropertyName("first_seed")] ulong FirstSeed);
