using FuncRec.Core.Evaluation;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// Turns one user's scores over the whole catalog into the top k (leaving out their training items, with
/// <see cref="TopK.Select"/>) and adds that user's metrics, exactly as <see cref="Evaluations.Ranking"/> does; users
/// must come in <see cref="RankingProtocol.EvaluatedUsers"/> order so the averages are summed in the same order.
/// </summary>
internal sealed class RankingTally(RankingProtocol protocol)
{
    private readonly List<int[]> _lists = [];
    private double _precision;
    private double _recall;
    private double _f1;
    private double _ndcg;
    private double _map;

    public int Users => _lists.Count;

    /// <summary>Adds the next evaluated user; <paramref name="scores"/> holds a score for every catalog item (values at training items are ignored).</summary>
    public void Add(int user, ReadOnlySpan<float> scores)
    {
        var expected = protocol.EvaluatedUsers[_lists.Count];
        if (expected.User != user)
        {
            throw new InvalidOperationException($"User {user} was scored where the protocol expects user {expected.User}: the averages would be summed in another order.");
        }

        var seen = protocol.SeenInTraining.GetValueOrDefault(user);
        var top = TopK.Select(scores, RankingProtocol.K, seen is null ? null : seen.Contains);
        var relevant = expected.RelevantItems;
        _precision += RankingMetrics.PrecisionAt(top, relevant, RankingProtocol.K);
        _recall += RankingMetrics.RecallAt(top, relevant, RankingProtocol.K);
        _f1 += RankingMetrics.F1At(top, relevant, RankingProtocol.K);
        _ndcg += RankingMetrics.NdcgAt(top, relevant, RankingProtocol.K);
        _map += RankingMetrics.AveragePrecisionAt(top, relevant, RankingProtocol.K);
        _lists.Add(top);
    }

    public RankingReport Report()
    {
        if (_lists.Count != protocol.EvaluatedUsers.Count)
        {
            throw new InvalidOperationException($"{_lists.Count} of {protocol.EvaluatedUsers.Count} users were scored.");
        }

        var n = Math.Max(_lists.Count, 1);
        return new RankingReport(
            RankingProtocol.K,
            _lists.Count,
            _precision / n,
            _recall / n,
            _f1 / n,
            _ndcg / n,
            _map / n,
            RankingMetrics.CatalogCoverage(_lists, protocol.Data.Items.Count));
    }
}
