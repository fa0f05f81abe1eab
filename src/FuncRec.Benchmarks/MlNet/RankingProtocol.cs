using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Training;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// The top-k protocol of <see cref="MovieLensQualityBenchmark.Ranking"/>, laid open so that another system's
/// scores can go through it unchanged: every rating an implicit interaction, the per-user stratified 75/25 split
/// with the benchmark's seed, every item not in the user's training set ranked, relevant = the user's test items,
/// k = 10.
/// </summary>
internal sealed class RankingProtocol
{
    public const int K = 10;
    public const double TestFraction = 0.25;

    public RankingProtocol(MovieLens100K data)
    {
        Data = data;
        var implicitData = data.Ratings.Select(r => r with { Value = 1f }).ToArray();
        (Train, Test) = DataSplits.StratifiedPerUser(implicitData, TestFraction, MovieLensQualityBenchmark.RankingSplitSeed);
        SeenInTraining = Train.GroupBy(t => t.User).ToDictionary(g => g.Key, g => g.Select(x => x.Item).ToHashSet());

        // Users in ascending order, as Evaluations.Ranking averages them: the sums then add up in the same order.
        EvaluatedUsers = Test.GroupBy(t => t.User).OrderBy(g => g.Key)
            .Select(g => new EvaluatedUser(g.Key, g.Select(x => x.Item).ToHashSet()))
            .ToArray();
    }

    public MovieLens100K Data { get; }

    public Interaction[] Train { get; }

    public Interaction[] Test { get; }

    public IReadOnlyDictionary<int, HashSet<int>> SeenInTraining { get; }

    /// <summary>Every user with at least one test item, by ascending user index.</summary>
    public IReadOnlyList<EvaluatedUser> EvaluatedUsers { get; }

    public string Description =>
        $"MovieLens 100K; every rating an implicit interaction; per-user stratified random 75/25 split (seed {MovieLensQualityBenchmark.RankingSplitSeed}); " +
        $"all items not in the user's training set ranked; relevant = the user's test items; k = {K}; metrics from FuncRec.Core.Evaluation.RankingMetrics for both systems";

    /// <summary>True when the item is in the user's training set (and so is not ranked for them).</summary>
    public bool WasSeen(int user, int item) => SeenInTraining.TryGetValue(user, out var seen) && seen.Contains(item);

    public RankingTally StartTally() => new(this);
}

internal sealed record EvaluatedUser(int User, IReadOnlySet<int> RelevantItems);
