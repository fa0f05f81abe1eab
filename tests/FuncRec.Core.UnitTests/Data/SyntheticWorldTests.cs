using FuncRec.Core.Data;
using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Data;

public sealed class SyntheticWorldTests
{
    private static readonly SyntheticWorldOptions Small = new() { Users = 60, Items = 40, Events = 1500, Seed = 3 };

    [Fact]
    public void Generate_is_deterministic_for_a_seed()
    {
        var first = SyntheticWorld.Generate(Small);
        var second = SyntheticWorld.Generate(Small);

        Assert.Equal(first.Events, second.Events);
        Assert.Equal(first.UserArrival, second.UserArrival);
        Assert.Equal(first.ItemArrival, second.ItemArrival);
        Assert.Equal(first.Items.Profiles.Select(p => p.Fields["title"].Text), second.Items.Profiles.Select(p => p.Fields["title"].Text));
    }

    [Fact]
    public void Generate_differs_for_another_seed()
    {
        var first = SyntheticWorld.Generate(Small);
        var other = SyntheticWorld.Generate(Small with { Seed = 4 });

        Assert.NotEqual(first.Events, other.Events);
    }

    [Fact]
    public void Generate_builds_the_requested_catalogs_and_stream()
    {
        var world = SyntheticWorld.Generate(Small);

        Assert.Equal(60, world.Users.Count);
        Assert.Equal(40, world.Items.Count);
        Assert.Equal(1500, world.Events.Length);
        Assert.Equal(40, world.ItemCategory.Length);
        Assert.All(world.ItemCategory, c => Assert.InRange(c, 0, Small.Categories - 1));
        Assert.Same(world.Events, world.All.Interactions);
    }

    [Fact]
    public void Events_are_in_time_order_with_the_index_as_timestamp()
    {
        var world = SyntheticWorld.Generate(Small);

        Assert.Equal(Enumerable.Range(0, world.Events.Length).Select(t => (long)t), world.Events.Select(e => e.Timestamp));
    }

    [Fact]
    public void Users_and_items_appear_only_after_their_arrival()
    {
        var world = SyntheticWorld.Generate(Small with { ArrivingUsers = 0.5f, ArrivingItems = 0.5f });

        Assert.Contains(world.UserArrival, a => a > 0);
        Assert.Contains(world.ItemArrival, a => a > 0);
        Assert.All(world.Events, e =>
        {
            Assert.True(world.UserArrival[e.User] <= e.Timestamp, $"user {e.User} acts at {e.Timestamp} before arriving at {world.UserArrival[e.User]}");
            Assert.True(world.ItemArrival[e.Item] <= e.Timestamp, $"item {e.Item} chosen at {e.Timestamp} before arriving at {world.ItemArrival[e.Item]}");
        });
    }

    [Fact]
    public void The_first_user_and_the_first_item_of_every_category_are_there_from_the_start()
    {
        var world = SyntheticWorld.Generate(Small with { ArrivingUsers = 0.9f, ArrivingItems = 0.9f });

        Assert.Equal(0, world.UserArrival[0]);
        Assert.All(Enumerable.Range(0, Small.Categories), i => Assert.Equal(0, world.ItemArrival[i]));
    }

    [Fact]
    public void Explicit_ratings_are_whole_numbers_from_one_to_five()
    {
        var world = SyntheticWorld.Generate(Small);

        Assert.All(world.Events, e => Assert.Contains(e.Value, new[] { 1f, 2f, 3f, 4f, 5f }));
        Assert.True(world.Events.Select(e => e.Value).Distinct().Count() > 2, "ratings should vary");
    }

    [Fact]
    public void Implicit_events_are_clicks_valued_one()
    {
        var world = SyntheticWorld.Generate(Small with { ExplicitRatings = false });

        Assert.All(world.Events, e => Assert.Equal(1f, e.Value));
    }

    [Fact]
    public void Drift_changes_the_true_affinity()
    {
        var world = SyntheticWorld.Generate(Small with { DriftAt = 750 });

        var changed = 0;
        for (var u = 0; u < world.Users.Count; u++)
        {
            if (world.TrueAffinity(u, 0, afterDrift: false) != world.TrueAffinity(u, 0, afterDrift: true))
            {
                changed++;
            }
        }

        Assert.Equal(world.Users.Count, changed);
    }

    [Fact]
    public void Drift_of_strength_zero_keeps_the_true_affinity()
    {
        var world = SyntheticWorld.Generate(Small with { DriftAt = 750, DriftStrength = 0f });

        Assert.All(Enumerable.Range(0, world.Users.Count), u =>
            Assert.Equal(world.TrueAffinity(u, 3, afterDrift: false), world.TrueAffinity(u, 3, afterDrift: true)));
    }

    [Fact]
    public void Drift_leaves_events_before_DriftAt_unchanged_and_changes_later_ones()
    {
        var stationary = SyntheticWorld.Generate(Small);
        var drifting = SyntheticWorld.Generate(Small with { DriftAt = 750 });

        Assert.Equal(stationary.Events[..750], drifting.Events[..750]);
        Assert.NotEqual(stationary.Events[750..], drifting.Events[750..]);
    }

    [Fact]
    public void Profiles_carry_the_fields_the_world_schema_reads()
    {
        var world = SyntheticWorld.Generate(Small);
        var encoder = new FeatureEncoder(new FeatureSpace(SyntheticWorld.Schema()));
        var vector = new FeatureVector();

        foreach (var user in world.Users.Profiles)
        {
            encoder.EncodeProfile(FeatureSide.User, user, grow: true, vector);
        }

        foreach (var item in world.Items.Profiles)
        {
            encoder.EncodeProfile(FeatureSide.Item, item, grow: true, vector);
        }

        Assert.Equal(0, encoder.UnknownFieldCount);
        Assert.Equal(0, encoder.UnmappedValueCount);
    }

    [Theory]
    [InlineData(1, 40, 1500, null)]
    [InlineData(60, 1, 1500, null)]
    [InlineData(60, 40, 0, null)]
    [InlineData(60, 40, 1500, 1500)]
    public void Generate_rejects_options_out_of_range(int users, int items, int events, int? driftAt)
    {
        var options = Small with { Users = users, Items = items, Events = events, DriftAt = driftAt, Categories = 1 };

        Assert.Throws<ArgumentException>(() => SyntheticWorld.Generate(options));
    }
}
