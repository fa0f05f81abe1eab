using System.Diagnostics;
using FuncRec.Core.Training;

namespace FuncRec.Core.Evaluation;

/// <summary>Top-k quality averaged over the users who have at least one test item.</summary>
public sealed record RankingReport(int K, int Users, double Precision, double Recall, double F1, double Ndcg, double Map, double Coverage);

/// <summary>Rating error over a test set.</summary>
public sealed record RatingReport(long Count, double Rmse, double Mae);

/// <summary>Test-then-train error over a stream and the rate of the loop.</summary>
public sealed record PrequentialReport(long Events, double Rmse, double Mae, double Seconds)
{
    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : double.PositiveInfinity;
}

/// <summary>The evaluation protocols, over a <see cref="CatalogScorer"/> or an <see cref="OnlineLearner"/>.</summary>
public static class Evaluations
{
    /// <summary>RMSE and MAE of the scorer's (clipped) predictions.</summary>
    public static RatingReport Rating(CatalogScorer scorer, IEnumerable<Interaction> test)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        var metrics = new RatingMetrics();
        foreach (var t in test)
        {
            metrics.Add(scorer.Predict(t.User, t.Item), t.Value);
        }

        return new RatingReport(metrics.Count, metrics.Rmse, metrics.Mae);
    }

    /// <summary>
    /// For every user with test items: ranks all catalog items the user has not in <paramref name="train"/>;
    /// relevant = the user's test items. Users are scored in parallel; results do not depend on the thread count.
    /// </summary>
    public static RankingReport Ranking(CatalogScorer scorer, IEnumerable<Interaction> train, IEnumerable<Interaction> test, int k, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var seen = train.GroupBy(t => t.User).ToDictionary(g => g.Key, g => g.Select(x => x.Item).ToHashSet());
        var relevant = test.GroupBy(t => t.User).OrderBy(g => g.Key).Select(g => (User: g.Key, Items: (IReadOnlySet<int>)g.Select(x => x.Item).ToHashSet())).ToArray();
        var results = new (double P, double R, double F, double N, double M, int[] Top)[relevant.Length];
        Parallel.For(0, relevant.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, () => new float[scorer.Items.Count], (i, _, scores) =>
        {
            var (user, items) = relevant[i];
            scorer.ScoreAll(user, scores);
            var known = seen.TryGetValue(user, out var set) ? set : null;
            var top = TopK.Select(scores, k, known is null ? null : known.Contains);
            results[i] = (
                RankingMetrics.PrecisionAt(top, items, k),
                RankingMetrics.RecallAt(top, items, k),
                RankingMetrics.F1At(top, items, k),
                RankingMetrics.NdcgAt(top, items, k),
                RankingMetrics.AveragePrecisionAt(top, items, k),
                top);
            return scores;
        }, _ => { });

        var n = Math.Max(results.Length, 1);
        return new RankingReport(
            k,
            results.Length,
            results.Sum(r => r.P) / n,
            results.Sum(r => r.R) / n,
            results.Sum(r => r.F) / n,
            results.Sum(r => r.N) / n,
            results.Sum(r => r.M) / n,
            RankingMetrics.CatalogCoverage(results.Select(r => (IReadOnlyList<int>)r.Top), scorer.Items.Count));
    }

    /// <summary>
    /// Test-then-train over a stream: each event is predicted by the learner before it learns from it. Returns
    /// the error and the wall time of the loop (single thread).
    /// </summary>
    public static PrequentialReport Prequential(OnlineLearner learner, IReadOnlyList<Interaction> stream)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(stream);
        var metrics = new RatingMetrics();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < stream.Count; i++)
        {
            var e = stream[i];
            metrics.Add(learner.PredictThenLearn(e), e.Value);
        }

        clock.Stop();
        learner.Flush();
        return new PrequentialReport(metrics.Count, metrics.Rmse, metrics.Mae, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Cold-start item AUC: for each user with at least one interaction on a held-out item, the AUC of the
    /// held-out items they interacted with against the held-out items they did not, averaged over users.
    /// </summary>
    public static (double Auc, int Users) ColdStartItemAuc(CatalogScorer scorer, IReadOnlyCollection<int> heldOutItems, IEnumerable<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        var held = heldOutItems.ToHashSet();
        var heldList = held.Order().ToArray();
        var positives = interactions.Where(i => held.Contains(i.Item)).GroupBy(i => i.User).OrderBy(g => g.Key)
            .Select(g => (User: g.Key, Items: g.Select(x => x.Item).ToHashSet())).ToArray();
        var scores = new float[scorer.Items.Count];
        var sum = 0.0;
        var users = 0;
        foreach (var (user, items) in positives)
        {
            scorer.ScoreAll(user, scores);
            var pos = items.Select(i => scores[i]).ToArray();
            var neg = heldList.Where(i => !items.Contains(i)).Select(i => scores[i]).ToArray();
            var auc = RankingMetrics.Auc(pos, neg);
            if (!double.IsNaN(auc))
            {
                sum += auc;
                users++;
            }
        }

        return (users == 0 ? double.NaN : sum / users, users);
    }
}
