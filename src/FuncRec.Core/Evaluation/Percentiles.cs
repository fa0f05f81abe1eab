namespace FuncRec.Core.Evaluation;

/// <summary>Percentiles of measured values, as every benchmark of FuncRec reports them.</summary>
public static class Percentiles
{
    /// <summary>
    /// The nearest-rank percentile: the smallest value with at least <paramref name="q"/> of the values at or below
    /// it (rank ⌈q·n⌉), so p99 of 200 probes is the third-slowest, p50 of 200 the 100th. The benchmarks took
    /// rank ⌊q·n⌋ + 1 before, one above this at whole ranks: the second-slowest of 200 for p99.
    /// </summary>
    /// <param name="sorted">The values in ascending order.</param>
    /// <returns>NaN when there are no values.</returns>
    public static double NearestRankOfSorted(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (q is < 0 or > 1 || double.IsNaN(q))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A percentile is a fraction from 0 to 1.");
        }

        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        // The tolerance keeps a product that floating point puts a hair above a whole rank (0.99 · 200) on that rank.
        var rank = (int)Math.Ceiling(q * sorted.Count - 1e-9);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The nearest-rank percentile of values in any order (<see cref="NearestRankOfSorted"/>).</summary>
    public static double NearestRank(IEnumerable<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        return NearestRankOfSorted(values.Order().ToArray(), q);
    }
}
