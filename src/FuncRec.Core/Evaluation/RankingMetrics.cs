namespace FuncRec.Core.Evaluation;

/// <summary>
/// Top-k metrics of one ranked list against a set of relevant items (binary relevance). Definitions:
/// precision@k = hits/k; recall@k = hits/|R|; F1@k = harmonic mean of the two; NDCG@k = DCG/IDCG with gain
/// 1/log2(rank+1); AP@k = Σ_{i≤k} precision@i·rel(i) / min(k, |R|) (MAP@k is its mean over users).
/// </summary>
public static class RankingMetrics
{
    public static double PrecisionAt(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
        => k <= 0 ? 0 : (double)Hits(ranked, relevant, k) / k;

    public static double RecallAt(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
        => relevant.Count == 0 ? 0 : (double)Hits(ranked, relevant, k) / relevant.Count;

    public static double F1At(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        var precision = PrecisionAt(ranked, relevant, k);
        var recall = RecallAt(ranked, relevant, k);
        return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }

    public static double NdcgAt(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        if (relevant.Count == 0 || k <= 0)
        {
            return 0;
        }

        var dcg = 0.0;
        var n = Math.Min(k, ranked.Length);
        for (var i = 0; i < n; i++)
        {
            if (relevant.Contains(ranked[i]))
            {
                dcg += 1.0 / Math.Log2(i + 2);
            }
        }

        var ideal = 0.0;
        for (var i = 0; i < Math.Min(k, relevant.Count); i++)
        {
            ideal += 1.0 / Math.Log2(i + 2);
        }

        return dcg / ideal;
    }

    public static double AveragePrecisionAt(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        if (relevant.Count == 0 || k <= 0)
        {
            return 0;
        }

        var hits = 0;
        var sum = 0.0;
        var n = Math.Min(k, ranked.Length);
        for (var i = 0; i < n; i++)
        {
            if (relevant.Contains(ranked[i]))
            {
                hits++;
                sum += (double)hits / (i + 1);
            }
        }

        return sum / Math.Min(k, relevant.Count);
    }

    /// <summary>
    /// Area under the ROC curve: the probability that a random positive outscores a random negative (ties count
    /// one half). NaN when either side is empty.
    /// </summary>
    public static double Auc(ReadOnlySpan<float> positiveScores, ReadOnlySpan<float> negativeScores)
    {
        if (positiveScores.IsEmpty || negativeScores.IsEmpty)
        {
            return double.NaN;
        }

        var negatives = negativeScores.ToArray();
        Array.Sort(negatives);
        double wins = 0;
        foreach (var score in positiveScores)
        {
            var below = LowerBound(negatives, score);
            var notAbove = UpperBound(negatives, score);
            wins += below + (0.5 * (notAbove - below));
        }

        return wins / ((double)positiveScores.Length * negatives.Length);
    }

    /// <summary>Share of the catalog that appears in at least one of the recommendation lists.</summary>
    public static double CatalogCoverage(IEnumerable<IReadOnlyList<int>> lists, int catalogSize)
    {
        if (catalogSize <= 0)
        {
            return 0;
        }

        var seen = new HashSet<int>();
        foreach (var list in lists)
        {
            seen.UnionWith(list);
        }

        return (double)seen.Count / catalogSize;
    }

    private static int Hits(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        var hits = 0;
        var n = Math.Min(k, ranked.Length);
        for (var i = 0; i < n; i++)
        {
            if (relevant.Contains(ranked[i]))
            {
                hits++;
            }
        }

        return hits;
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] < value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static int UpperBound(float[] sorted, float value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] <= value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
