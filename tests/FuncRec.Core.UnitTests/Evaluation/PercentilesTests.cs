using FuncRec.Core.Evaluation;

namespace FuncRec.Core.UnitTests.Evaluation;

public sealed class PercentilesTests
{
    [Fact]
    public void P99_of_200_values_is_the_third_largest()
    {
        var sorted = Enumerable.Range(1, 200).Select(v => (double)v).ToArray();
        // In the order probes finish, not sorted: a list is still sorted first.
        var measured = Enumerable.Reverse(sorted).ToList();

        Assert.Equal(198, Percentiles.NearestRankOfSorted(sorted, 0.99));
        Assert.Equal(100, Percentiles.NearestRankOfSorted(sorted, 0.5));
        Assert.Equal(198, Percentiles.NearestRank(measured, 0.99));
        Assert.Equal(100, Percentiles.NearestRank(measured, 0.5));
    }

    [Theory]
    [InlineData(0.0, 10)]
    [InlineData(0.1, 10)]
    [InlineData(0.11, 20)]
    [InlineData(0.5, 50)]
    [InlineData(0.99, 100)]
    [InlineData(1.0, 100)]
    public void Nearest_rank_is_the_smallest_value_with_at_least_q_at_or_below_it(double q, double expected)
    {
        double[] values = [70, 10, 100, 40, 20, 90, 30, 60, 50, 80];

        Assert.Equal(expected, Percentiles.NearestRank(values.ToList(), q));
    }

    [Fact]
    public void No_values_give_NaN_and_a_fraction_out_of_range_is_refused()
    {
        Assert.True(double.IsNaN(Percentiles.NearestRank(new List<double>(), 0.5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRankOfSorted(new[] { 1.0 }, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank(new[] { 1.0 }, double.NaN));
    }
}
