using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Training;
using Microsoft.ML;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// FuncRec's ranking benchmark and ML.NET's field-aware factorisation machine, one after the other in one
/// process, on the same split, the same candidates and the same metric code. FuncRec runs exactly as
/// <see cref="MovieLensQualityBenchmark.Ranking"/> configures it; only the scoring threads differ (1 here, on both
/// sides, because ML.NET scores through one cursor).
/// </summary>
internal sealed class MlNetComparison(MovieLens100K data, FfmRankerOptions ffmOptions)
{
    // MovieLensQualityBenchmark.Ranking builds its scorer's behaviour index with this cap (FullSchema's behaviour cap).
    private const int BehaviourCap = 200;

    public ComparisonReport Run(Action<string> progress)
    {
        var protocol = new RankingProtocol(data);

        progress($"FuncRec: BPR, rank {MovieLensQualityBenchmark.RankingOptions.Rank}, {MovieLensQualityBenchmark.RankingOptions.Epochs} epochs, on {protocol.Train.Length:N0} training interactions");
        var funcRec = RunFuncRec(protocol);

        progress($"ML.NET: field-aware FM, {ffmOptions.LatentDimension} latent dimensions, {ffmOptions.Iterations} iterations, {ffmOptions.NegativesPerPositive} sampled negatives per positive");
        var ffm = new FfmRanker(protocol, ffmOptions).Run();
        var mlNet = SystemResult.From(
            "ML.NET",
            "FieldAwareFactorizationMachine (binary classification, logistic loss)",
            $"fields: user id, item id, genres, demographics (age bucket, gender, occupation, zip prefix); LatentDimension {ffmOptions.LatentDimension}, NumberOfIterations {ffmOptions.Iterations}, " +
            $"LearningRate {ffmOptions.LearningRate}, LambdaLinear = LambdaLatent = {ffmOptions.Lambda}, NormalizeFeatures, Shuffle ({(ffm.TrainingDataShuffled ? "effective" : "not supported by the view")}); " +
            $"{ffm.TrainingRows:N0} training rows = positives + {ffmOptions.NegativesPerPositive} uniform non-positive items each (seed {ffmOptions.Seed}); MLContext(seed: {ffmOptions.Seed}); scoring: one Transform over a lazily generated view of all candidate pairs, one cursor",
            ffm.Ranking,
            ffm.PrepareSeconds + ffm.FitSeconds,
            ffm.ScoringSeconds,
            new Dictionary<string, double> { ["negative_sampling_and_rows"] = ffm.PrepareSeconds, ["trainer_fit"] = ffm.FitSeconds });

        progress("Popularity baseline");
        var popularity = RunPopularity(protocol);

        return new ComparisonReport(
            protocol.Description,
            DescribeMachine(),
            funcRec,
            mlNet,
            popularity,
            FuncRecOverMlNet.Of(funcRec, mlNet),
            "skipped: ML.NET's rating model is MatrixFactorizationTrainer in Microsoft.ML.Recommender, which is not available here; " +
            "its field-aware FM is binary classification only, and a linear regression over one-hot ids (the only core-ML.NET regressor that fits) " +
            "is a biases-only baseline, not the model users compare us with",
            Inequalities);
    }

    private static IReadOnlyList<string> Inequalities { get; } =
    [
        "Objective: FuncRec trains BPR, a pairwise ranking loss with dynamic negative sampling (best of 3 draws per step); the FFM is a CTR model (logistic loss) fed a fixed set of uniformly sampled negatives.",
        "Features: FuncRec's FullSchema also reads each user's training items (SVD++-style behaviour features, capped at 200), title words and release year; the FFM gets user id, item id, genres and demographics only. A behaviour field would make every FFM row ~100 features wide, and FFM cost grows with features x fields.",
        "Tuning: FuncRec runs MovieLensQualityBenchmark.RankingOptions as they stand, not retuned for this comparison; the FFM settings are the best of a small grid scored on this same test split (docs/benchmarks-mlnet.md), which favours ML.NET.",
        "Time: fit seconds run from the split interactions to a trained model on both sides (ML.NET's include drawing negatives and building rows); scoring seconds cover scores of every candidate, top-10 and the metrics, single-threaded on both sides; FuncRec scores all items and skips training items during top-k, ML.NET scores only the candidates. Each side JIT-compiles its own code inside its timed phases.",
    ];

    private static SystemResult RunFuncRec(RankingProtocol protocol)
    {
        var data = protocol.Data;
        var options = MovieLensQualityBenchmark.RankingOptions;
        var clock = Stopwatch.StartNew();
        var model = new RecommenderTrainer(options).Fit(MovieLensQualityBenchmark.FullSchema, new TrainingData(data.Users, data.Items, protocol.Train));
        var fitSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var scorer = new CatalogScorer(model, data.Users, data.Items, new BehaviourIndex(data.Users.Count, protocol.Train, BehaviourCap));
        var report = Evaluations.Ranking(scorer, protocol.Train, protocol.Test, RankingProtocol.K, threads: 1);
        var scoringSeconds = clock.Elapsed.TotalSeconds;

        CheckTallyReproduces(protocol, scorer, report);
        return SystemResult.From(
            "FuncRec",
            "factorised bilinear model, BPR loss",
            $"MovieLensQualityBenchmark.RankingOptions (rank {options.Rank}, {options.Epochs} epochs, lr {options.LearningRate}, L2 {options.L2}, {options.NegativeSamples} negative draws, seed {options.Seed}, {options.Threads} fit thread) and FullSchema; scored by CatalogScorer + Evaluations.Ranking on 1 thread",
            report,
            fitSeconds,
            scoringSeconds);
    }

    /// <summary>
    /// The ML.NET figures go through <see cref="RankingTally"/> rather than <see cref="Evaluations.Ranking"/> (which
    /// needs a FuncRec model); running FuncRec's scores through the tally as well proves the two compute the same thing.
    /// </summary>
    private static void CheckTallyReproduces(RankingProtocol protocol, CatalogScorer scorer, RankingReport expected)
    {
        var tally = protocol.StartTally();
        var scores = new float[protocol.Data.Items.Count];
        foreach (var user in protocol.EvaluatedUsers)
        {
            scorer.ScoreAll(user.User, scores);
            tally.Add(user.User, scores);
        }

        var actual = tally.Report();
        if (actual.Users != expected.Users || Math.Abs(actual.Precision - expected.Precision) > 1e-12 || Math.Abs(actual.Ndcg - expected.Ndcg) > 1e-12
            || Math.Abs(actual.Map - expected.Map) > 1e-12 || Math.Abs(actual.Recall - expected.Recall) > 1e-12 || Math.Abs(actual.Coverage - expected.Coverage) > 1e-12)
        {
            throw new InvalidOperationException($"The comparison's metric tally gives {actual} where Evaluations.Ranking gives {expected}: the two sides would not be measured alike.");
        }
    }

    private static SystemResult RunPopularity(RankingProtocol protocol)
    {
        var clock = Stopwatch.StartNew();
        var counts = new float[protocol.Data.Items.Count];
        foreach (var interaction in protocol.Train)
        {
            counts[interaction.Item]++;
        }

        var fitSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var tally = protocol.StartTally();
        foreach (var user in protocol.EvaluatedUsers)
        {
            tally.Add(user.User, counts);
        }

        return SystemResult.From("popularity", "training interaction counts", "same top-10 for everyone, less their training items", tally.Report(), fitSeconds, clock.Elapsed.TotalSeconds);
    }

    private static MachineDescription DescribeMachine() => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown",
        "shared machine: other builds and benchmarks may run at the same time, so seconds are noisy; quality figures are deterministic");
}
