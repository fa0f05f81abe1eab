using FuncRec.Core.Evaluation;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Evaluation;

public sealed class DataSplitsTests
{
    // Users 0..3 with 10, 5, 1 and 3 interactions, interleaved; every interaction is distinct.
    private static readonly Interaction[] PerUser = BuildPerUser();

    [Fact]
    public void StratifiedPerUser_puts_round_n_times_fraction_of_each_user_in_test()
    {
        var (_, test) = DataSplits.StratifiedPerUser(PerUser, 0.3, seed: 7);

        var counts = test.GroupBy(t => t.User).ToDictionary(g => g.Key, g => g.Count());

        // round(10·0.3) = 3, round(5·0.3) = round(1.5) = 2 (away from zero), round(1·0.3) = 0, round(3·0.3) = 1.
        Assert.Equal(3, counts[0]);
        Assert.Equal(2, counts[1]);
        Assert.False(counts.ContainsKey(2));
        Assert.Equal(1, counts[3]);
        Assert.Equal(6, test.Length);
    }

    [Fact]
    public void StratifiedPerUser_train_and_test_are_disjoint_and_their_union_is_the_input()
    {
        var (train, test) = DataSplits.StratifiedPerUser(PerUser, 0.3, seed: 7);

        Assert.Empty(train.Intersect(test));
        Assert.Equal(Canonical(PerUser), Canonical(train.Concat(test)));
    }

    [Fact]
    public void StratifiedPerUser_is_deterministic_for_a_seed()
    {
        var first = DataSplits.StratifiedPerUser(PerUser, 0.3, seed: 7);
        var second = DataSplits.StratifiedPerUser(PerUser, 0.3, seed: 7);

        Assert.Equal(first.Train, second.Train);
        Assert.Equal(first.Test, second.Test);
    }

    [Fact]
    public void StratifiedPerUser_differs_for_another_seed()
    {
        var first = DataSplits.StratifiedPerUser(PerUser, 0.3, seed: 7);
        var other = DataSplits.StratifiedPerUser(PerUser, 0.3, seed: 8);

        Assert.NotEqual(Canonical(first.Test), Canonical(other.Test));
    }

    [Fact]
    public void StratifiedPerUser_with_fraction_zero_or_one_keeps_everything_on_one_side()
    {
        var none = DataSplits.StratifiedPerUser(PerUser, 0, seed: 1);
        var all = DataSplits.StratifiedPerUser(PerUser, 1, seed: 1);

        Assert.Empty(none.Test);
        Assert.Equal(PerUser.Length, none.Train.Length);
        Assert.Empty(all.Train);
        Assert.Equal(PerUser.Length, all.Test.Length);
    }

    [Fact]
    public void StratifiedPerUser_rejects_a_fraction_outside_zero_to_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.StratifiedPerUser(PerUser, -0.1, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.StratifiedPerUser(PerUser, 1.1, seed: 1));
    }

    [Fact]
    public void SortByTime_orders_by_timestamp_and_keeps_ties_in_input_order()
    {
        var sorted = DataSplits.SortByTime(Timed());

        // Items carry their input position; timestamps 5 1 3 1 5 2 4 3 0 2.
        Assert.Equal([8, 1, 3, 5, 9, 2, 7, 6, 0, 4], sorted.Select(i => i.Item));
    }

    [Fact]
    public void Temporal_cuts_the_time_ordered_stream_at_cumulative_fractions()
    {
        var parts = DataSplits.Temporal(Timed(), 0.5, 0.8);

        Assert.Equal(3, parts.Length);
        Assert.Equal([8, 1, 3, 5, 9], parts[0].Select(i => i.Item));
        Assert.Equal([2, 7, 6], parts[1].Select(i => i.Item));
        Assert.Equal([0, 4], parts[2].Select(i => i.Item));
    }

    [Fact]
    public void Temporal_cut_sizes_truncate_count_times_fraction()
    {
        var interactions = Enumerable.Range(0, 7).Select(i => new Interaction(0, i, 1f, i)).ToArray();

        // 7·0.5 = 3.5 → 3; 7·0.9 = 6.3 → 6.
        var parts = DataSplits.Temporal(interactions, 0.5, 0.9);

        Assert.Equal([3, 3, 1], parts.Select(p => p.Length));
    }

    [Fact]
    public void Temporal_without_cuts_returns_one_sorted_part()
    {
        var parts = DataSplits.Temporal(Timed());

        var part = Assert.Single(parts);
        Assert.Equal(DataSplits.SortByTime(Timed()), part);
    }

    [Fact]
    public void Temporal_rejects_descending_or_out_of_range_cuts()
    {
        Assert.Throws<ArgumentException>(() => DataSplits.Temporal(Timed(), 0.8, 0.5));
        Assert.Throws<ArgumentException>(() => DataSplits.Temporal(Timed(), 1.5));
    }

    [Fact]
    public void HoldOut_picks_round_count_times_fraction_distinct_indices_in_range()
    {
        var held = DataSplits.HoldOut(50, 0.2, seed: 3);

        Assert.Equal(10, held.Count);
        Assert.All(held, i => Assert.InRange(i, 0, 49));
    }

    [Fact]
    public void HoldOut_is_deterministic_for_a_seed_and_differs_for_another()
    {
        var first = DataSplits.HoldOut(50, 0.2, seed: 3);
        var again = DataSplits.HoldOut(50, 0.2, seed: 3);
        var other = DataSplits.HoldOut(50, 0.2, seed: 4);

        Assert.True(first.SetEquals(again));
        Assert.False(first.SetEquals(other));
    }

    private static Interaction[] BuildPerUser()
    {
        int[] sizes = [10, 5, 1, 3];
        var list = new List<Interaction>();
        for (var round = 0; round < 10; round++)
        {
            for (var user = 0; user < sizes.Length; user++)
            {
                if (round < sizes[user])
                {
                    list.Add(new Interaction(user, (user * 100) + round, round + 1, list.Count));
                }
            }
        }

        return list.ToArray();
    }

    private static Interaction[] Timed()
    {
        long[] timestamps = [5, 1, 3, 1, 5, 2, 4, 3, 0, 2];
        return timestamps.Select((t, index) => new Interaction(index % 3, index, 1f, t)).ToArray();
    }

    private static Interaction[] Canonical(IEnumerable<Interaction> interactions)
        => interactions.OrderBy(i => i.User).ThenBy(i => i.Item).ToArray();
}
