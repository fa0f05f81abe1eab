using FuncRec.Core.Training;

namespace FuncRec.Core.Evaluation;

/// <summary>The splitting protocols of the benchmarks, each deterministic for a seed.</summary>
public static class DataSplits
{
    /// <summary>
    /// Per-user stratified random split: each user's interactions are shuffled (seeded) and round(n·fraction) of
    /// them go to the test side, so every user keeps the same share in training.
    /// </summary>
    public static (Interaction[] Train, Interaction[] Test) StratifiedPerUser(IReadOnlyList<Interaction> interactions, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentOutOfRangeException.ThrowIfNegative(testFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(testFraction, 1);
        var random = new SeededRandom(seed);
        var train = new List<Interaction>(interactions.Count);
        var test = new List<Interaction>((int)(interactions.Count * testFraction) + 1);
        foreach (var group in interactions.GroupBy(i => i.User).OrderBy(g => g.Key))
        {
            var list = group.ToArray();
            random.Shuffle(list.AsSpan());
            var testCount = (int)Math.Round(list.Length * testFraction, MidpointRounding.AwayFromZero);
            for (var i = 0; i < list.Length; i++)
            {
                (i < testCount ? test : train).Add(list[i]);
            }
        }

        return (train.ToArray(), test.ToArray());
    }

    /// <summary>Sorts by timestamp (ties keep their order) and cuts at the given cumulative fractions, e.g. 0.8, 0.9 gives three parts.</summary>
    public static Interaction[][] Temporal(IReadOnlyList<Interaction> interactions, params double[] cuts)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var sorted = SortByTime(interactions);
        var parts = new Interaction[cuts.Length + 1][];
        var start = 0;
        if (cuts.Any(c => !double.IsFinite(c) || c < 0 || c > 1))
        {
            throw new ArgumentException("Cuts must be fractions in [0, 1].", nameof(cuts));
        }

        for (var c = 0; c <= cuts.Length; c++)
        {
            var end = c < cuts.Length ? (int)(sorted.Length * cuts[c]) : sorted.Length;
            if (end < start || end > sorted.Length)
            {
                throw new ArgumentException("Cuts must be ascending fractions in [0, 1].", nameof(cuts));
            }

            parts[c] = sorted[start..end];
            start = end;
        }

        return parts;
    }

    /// <summary>Interactions in timestamp order, ties in their original order.</summary>
    public static Interaction[] SortByTime(IReadOnlyList<Interaction> interactions)
        => interactions.Select((interaction, index) => (interaction, index))
            .OrderBy(x => x.interaction.Timestamp).ThenBy(x => x.index).Select(x => x.interaction).ToArray();

    /// <summary>A seeded choice of round(fraction·count) catalog indices to hold out entirely (cold-start items).</summary>
    public static HashSet<int> HoldOut(int count, double fraction, ulong seed)
    {
        var indices = Enumerable.Range(0, count).ToArray();
        new SeededRandom(seed).Shuffle(indices.AsSpan());
        return indices.Take((int)Math.Round(count * fraction, MidpointRounding.AwayFromZero)).ToHashSet();
    }
}
