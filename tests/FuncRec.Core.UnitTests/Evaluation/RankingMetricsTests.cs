using FuncRec.Core.Evaluation;

namespace FuncRec.Core.UnitTests.Evaluation;

public sealed class RankingMetricsTests
{
    private const double Tolerance = 1e-12;

    // Hits at ranks 2 and 4 of 5; one relevant item (99) is never ranked, so |R| = 3.
    private static readonly int[] Ranked = [10, 20, 30, 40, 50];
    private static readonly HashSet<int> Relevant = [20, 40, 99];

    [Fact]
    public void PrecisionAt_is_hits_over_k()
    {
        Assert.Equal(2.0 / 5, RankingMetrics.PrecisionAt(Ranked, Relevant, 5), Tolerance);
        Assert.Equal(1.0 / 3, RankingMetrics.PrecisionAt(Ranked, Relevant, 3), Tolerance);
        Assert.Equal(0.0, RankingMetrics.PrecisionAt(Ranked, Relevant, 1), Tolerance);
    }

    [Fact]
    public void PrecisionAt_divides_by_k_when_the_list_is_shorter_than_k()
    {
        int[] shortList = [20, 40];

        Assert.Equal(2.0 / 10, RankingMetrics.PrecisionAt(shortList, Relevant, 10), Tolerance);
    }

    [Fact]
    public void PrecisionAt_is_zero_for_a_non_positive_k()
    {
        Assert.Equal(0.0, RankingMetrics.PrecisionAt(Ranked, Relevant, 0));
        Assert.Equal(0.0, RankingMetrics.PrecisionAt(Ranked, Relevant, -3));
    }

    [Fact]
    public void RecallAt_is_hits_over_the_number_of_relevant_items()
    {
        Assert.Equal(2.0 / 3, RankingMetrics.RecallAt(Ranked, Relevant, 5), Tolerance);
        Assert.Equal(1.0 / 3, RankingMetrics.RecallAt(Ranked, Relevant, 2), Tolerance);
    }

    [Fact]
    public void RecallAt_is_zero_when_nothing_is_relevant()
    {
        Assert.Equal(0.0, RankingMetrics.RecallAt(Ranked, new HashSet<int>(), 5));
    }

    [Fact]
    public void F1At_is_the_harmonic_mean_of_precision_and_recall()
    {
        // P = 0.4, R = 2/3: 2·0.4·(2/3) / (0.4 + 2/3) = 0.5.
        Assert.Equal(0.5, RankingMetrics.F1At(Ranked, Relevant, 5), Tolerance);

        // P = R = 1/3 at k = 3.
        Assert.Equal(1.0 / 3, RankingMetrics.F1At(Ranked, Relevant, 3), Tolerance);
    }

    [Fact]
    public void F1At_is_zero_without_hits()
    {
        Assert.Equal(0.0, RankingMetrics.F1At(Ranked, new HashSet<int> { 7 }, 5));
    }

    [Fact]
    public void NdcgAt_uses_gain_one_over_log2_rank_plus_one_and_ideal_over_min_k_and_relevant()
    {
        // DCG = 1/log2(3) + 1/log2(5); IDCG over min(5, 3) = 3 positions: 1 + 1/log2(3) + 1/log2(4).
        var dcg = (1 / Math.Log2(3)) + (1 / Math.Log2(5));
        var idcg = 1 + (1 / Math.Log2(3)) + 0.5;

        Assert.Equal(dcg / idcg, RankingMetrics.NdcgAt(Ranked, Relevant, 5), Tolerance);
        Assert.Equal(0.498189, RankingMetrics.NdcgAt(Ranked, Relevant, 5), 1e-6);
    }

    [Fact]
    public void NdcgAt_limits_the_ideal_to_k_positions()
    {
        // k = 2: one hit at rank 2; IDCG over min(2, 3) = 2 positions.
        var expected = (1 / Math.Log2(3)) / (1 + (1 / Math.Log2(3)));

        Assert.Equal(expected, RankingMetrics.NdcgAt(Ranked, Relevant, 2), Tolerance);
    }

    [Fact]
    public void NdcgAt_is_one_for_a_perfect_ranking_and_zero_without_hits()
    {
        int[] perfect = [20, 40, 99, 1, 2];

        Assert.Equal(1.0, RankingMetrics.NdcgAt(perfect, Relevant, 5), Tolerance);
        Assert.Equal(0.0, RankingMetrics.NdcgAt([1, 2, 3], Relevant, 3));
        Assert.Equal(0.0, RankingMetrics.NdcgAt(Ranked, new HashSet<int>(), 5));
    }

    [Fact]
    public void AveragePrecisionAt_sums_precision_at_each_hit_over_min_k_and_relevant()
    {
        // Hits at ranks 2 and 4: (1/2 + 2/4) / min(5, 3) = 1/3.
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecisionAt(Ranked, Relevant, 5), Tolerance);

        // k = 2: only the hit at rank 2 counts, divided by min(2, 3) = 2.
        Assert.Equal(0.25, RankingMetrics.AveragePrecisionAt(Ranked, Relevant, 2), Tolerance);
    }

    [Fact]
    public void AveragePrecisionAt_is_one_for_a_perfect_ranking_and_zero_when_nothing_is_relevant()
    {
        int[] perfect = [40, 20, 99, 1];

        Assert.Equal(1.0, RankingMetrics.AveragePrecisionAt(perfect, Relevant, 4), Tolerance);
        Assert.Equal(0.0, RankingMetrics.AveragePrecisionAt(Ranked, new HashSet<int>(), 5));
    }

    [Fact]
    public void Auc_is_the_share_of_positive_negative_pairs_won()
    {
        float[] positives = [0.9f, 0.8f];
        float[] negatives = [0.1f, 0.85f, 0.2f];

        // 0.9 beats all 3; 0.8 beats 2 of 3: 5 of 6 pairs.
        Assert.Equal(5.0 / 6, RankingMetrics.Auc(positives, negatives), Tolerance);
    }

    [Fact]
    public void Auc_counts_ties_as_half()
    {
        float[] positives = [0.9f, 0.5f];
        float[] negatives = [0.5f, 0.1f, 0.7f];

        // 0.9: 3 wins; 0.5: 1 win (0.1) + one tie (0.5) = 1.5; (3 + 1.5) / 6 = 0.75.
        Assert.Equal(0.75, RankingMetrics.Auc(positives, negatives), Tolerance);
        Assert.Equal(0.5, RankingMetrics.Auc([1f, 1f], [1f, 1f, 1f]), Tolerance);
    }

    [Fact]
    public void Auc_is_one_when_every_positive_outscores_every_negative_and_zero_when_reversed()
    {
        Assert.Equal(1.0, RankingMetrics.Auc([3f, 4f], [1f, 2f]));
        Assert.Equal(0.0, RankingMetrics.Auc([1f, 2f], [3f, 4f]));
    }

    [Fact]
    public void Auc_is_NaN_when_a_side_is_empty()
    {
        Assert.True(double.IsNaN(RankingMetrics.Auc([], [1f])));
        Assert.True(double.IsNaN(RankingMetrics.Auc([1f], [])));
        Assert.True(double.IsNaN(RankingMetrics.Auc([], [])));
    }

    [Fact]
    public void Auc_does_not_depend_on_the_order_of_the_negatives()
    {
        float[] positives = [0.3f, 0.6f, 0.6f];

        Assert.Equal(
            RankingMetrics.Auc(positives, [0.6f, 0.1f, 0.9f, 0.3f]),
            RankingMetrics.Auc(positives, [0.9f, 0.6f, 0.3f, 0.1f]));
    }

    [Fact]
    public void CatalogCoverage_is_the_share_of_distinct_items_recommended()
    {
        IReadOnlyList<int>[] lists = [[0, 1], [1, 2], [2]];

        Assert.Equal(0.3, RankingMetrics.CatalogCoverage(lists, 10), Tolerance);
        Assert.Equal(0.0, RankingMetrics.CatalogCoverage([], 10));
    }

    [Fact]
    public void CatalogCoverage_is_zero_for_an_empty_catalog()
    {
        IReadOnlyList<int>[] lists = [[0, 1]];

        Assert.Equal(0.0, RankingMetrics.CatalogCoverage(lists, 0));
    }
}
