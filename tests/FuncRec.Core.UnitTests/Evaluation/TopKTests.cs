using FuncRec.Core.Evaluation;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Evaluation;

public sealed class TopKTests
{
    [Theory]
    [InlineData(1UL, 50, 5)]
    [InlineData(2UL, 200, 10)]
    [InlineData(3UL, 1000, 100)]
    [InlineData(4UL, 17, 17)]
    [InlineData(5UL, 3, 1)]
    public void Select_equals_a_full_sort_on_random_inputs(ulong seed, int n, int k)
    {
        var random = new SeededRandom(seed);

        // Few distinct values, so ties are common and the tie rule is exercised too.
        var scores = Enumerable.Range(0, n).Select(_ => (float)random.Next(20)).ToArray();

        Assert.Equal(FullSort(scores, k), TopK.Select(scores, k));
    }

    [Fact]
    public void Select_equals_a_full_sort_on_continuous_random_scores()
    {
        var random = new SeededRandom(11);
        var scores = Enumerable.Range(0, 5000).Select(_ => (float)random.NextDouble()).ToArray();

        Assert.Equal(FullSort(scores, 50), TopK.Select(scores, 50));
    }

    [Fact]
    public void Select_breaks_ties_toward_the_lower_index()
    {
        float[] scores = [1f, 2f, 2f, 1f, 2f];

        Assert.Equal([1, 2], TopK.Select(scores, 2));
        Assert.Equal([1, 2, 4, 0], TopK.Select(scores, 4));
    }

    [Fact]
    public void Select_leaves_out_skipped_indices()
    {
        float[] scores = [5f, 4f, 3f, 2f, 1f];

        Assert.Equal([1, 3], TopK.Select(scores, 2, i => i % 2 == 0));
    }

    [Fact]
    public void Select_ignores_NaN_scores()
    {
        float[] scores = [float.NaN, 1f, float.NaN, 2f, float.NegativeInfinity];

        Assert.Equal([3, 1, 4], TopK.Select(scores, 5));
    }

    [Fact]
    public void Select_returns_every_index_when_k_exceeds_the_count()
    {
        float[] scores = [0.2f, 0.9f, 0.5f];

        Assert.Equal([1, 2, 0], TopK.Select(scores, 10));
    }

    [Fact]
    public void Select_with_k_far_larger_than_the_count_returns_every_index()
    {
        // Callers pass k as "everything" (int.MaxValue); the result can never hold more than the scores.
        float[] scores = [0.2f, 0.9f];

        Assert.Equal([1, 0], TopK.Select(scores, int.MaxValue));
    }

    [Fact]
    public void Select_returns_nothing_for_a_non_positive_k_or_no_scores()
    {
        Assert.Empty(TopK.Select([1f, 2f], 0));
        Assert.Empty(TopK.Select([1f, 2f], -1));
        Assert.Empty(TopK.Select([], 3));
    }

    private static int[] FullSort(float[] scores, int k)
        => scores.Select((score, index) => (score, index))
            .OrderByDescending(x => x.score).ThenBy(x => x.index)
            .Take(k).Select(x => x.index).ToArray();
}
