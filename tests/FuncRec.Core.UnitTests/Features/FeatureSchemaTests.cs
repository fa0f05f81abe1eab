using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Features;

public sealed class FeatureSchemaTests
{
    [Fact]
    public void Schema_splits_groups_by_side_in_declaration_order()
    {
        var schema = new FeatureSchema(ValidGroups());

        Assert.Equal(["user", "age"], schema.UserGroups.Select(g => g.Name));
        Assert.Equal(["item", "title"], schema.ItemGroups.Select(g => g.Name));
        Assert.Equal(4, schema.Groups.Count);
        Assert.Same(schema.ItemGroups, schema.GroupsOf(FeatureSide.Item));
    }

    [Fact]
    public void Find_looks_up_a_group_by_side_and_exact_name()
    {
        var schema = new FeatureSchema(ValidGroups());

        Assert.Equal(FeatureGroupKind.Numeric, schema.Find(FeatureSide.User, "age")?.Kind);
        Assert.Null(schema.Find(FeatureSide.Item, "age"));
        Assert.Null(schema.Find(FeatureSide.User, "Age"));
    }

    [Fact]
    public void Default_schema_is_valid_and_covers_both_sides()
    {
        var schema = FeatureSchema.Default;

        Assert.NotEmpty(schema.UserGroups);
        Assert.NotEmpty(schema.ItemGroups);
        Assert.Equal(FeatureGroupKind.Id, schema.Find(FeatureSide.User, "user")?.Kind);
        Assert.Equal(FeatureGroupKind.Id, schema.Find(FeatureSide.Item, "item")?.Kind);
    }

    [Fact]
    public void Duplicate_names_on_one_side_are_rejected_naming_the_group()
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("colour", FeatureSide.Item, FeatureGroupKind.Categorical),
            Group("colour", FeatureSide.Item, FeatureGroupKind.Categorical),
        ]));

        Assert.Contains("colour", error.Message);
    }

    [Fact]
    public void The_same_name_may_be_used_once_on_each_side()
    {
        var schema = new FeatureSchema(
        [
            Group("region", FeatureSide.User, FeatureGroupKind.Categorical),
            Group("region", FeatureSide.Item, FeatureGroupKind.Categorical),
        ]);

        Assert.NotNull(schema.Find(FeatureSide.User, "region"));
        Assert.NotNull(schema.Find(FeatureSide.Item, "region"));
    }

    [Theory]
    [InlineData(FeatureGroupKind.Behaviour)]
    [InlineData(FeatureGroupKind.Social)]
    [InlineData(FeatureGroupKind.Context)]
    public void User_only_kinds_on_the_item_side_are_rejected_naming_the_group(FeatureGroupKind kind)
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("misplaced", FeatureSide.Item, kind) with { HashBuckets = 16 },
        ]));

        Assert.Contains("misplaced", error.Message);
    }

    [Theory]
    [InlineData(FeatureGroupKind.Text)]
    [InlineData(FeatureGroupKind.Context)]
    public void Hashed_groups_without_buckets_are_rejected_naming_the_group(FeatureGroupKind kind)
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("nobuckets", FeatureSide.User, kind) with { HashBuckets = 0 },
        ]));

        Assert.Contains("nobuckets", error.Message);
    }

    [Fact]
    public void A_categorical_group_without_buckets_keeps_a_dictionary_and_is_accepted()
    {
        var schema = new FeatureSchema([Group("genre", FeatureSide.Item, FeatureGroupKind.Categorical)]);

        var genre = Assert.Single(schema.ItemGroups);
        Assert.True(genre.UsesDictionary);
        Assert.False(genre.IsHashedOnly);
    }

    [Fact]
    public void Numeric_groups_without_boundaries_are_rejected_naming_the_group()
    {
        var missing = Assert.Throws<ArgumentException>(() => new FeatureSchema([Group("height", FeatureSide.User, FeatureGroupKind.Numeric)]));
        var empty = Assert.Throws<ArgumentException>(() => new FeatureSchema([Group("height", FeatureSide.User, FeatureGroupKind.Numeric) with { Boundaries = [] }]));

        Assert.Contains("height", missing.Message);
        Assert.Contains("height", empty.Message);
    }

    [Theory]
    [InlineData(new[] { 10.0, 10.0 })]
    [InlineData(new[] { 10.0, 20.0, 15.0 })]
    [InlineData(new[] { 1.0, double.NaN })]
    public void Numeric_groups_with_boundaries_not_strictly_ascending_are_rejected_naming_the_group(double[] boundaries)
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("weight_kg", FeatureSide.User, FeatureGroupKind.Numeric) with { Boundaries = boundaries },
        ]));

        Assert.Contains("weight_kg", error.Message);
    }

    [Fact]
    public void Numeric_groups_with_a_single_NaN_boundary_are_rejected_naming_the_group()
    {
        // [1, NaN] is rejected by the ascending check; a lone NaN must not slip through (every value would land in bucket 0).
        var error = Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("score", FeatureSide.User, FeatureGroupKind.Numeric) with { Boundaries = [double.NaN] },
        ]));

        Assert.Contains("score", error.Message);
    }

    [Fact]
    public void Two_Id_groups_on_one_side_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("user", FeatureSide.User, FeatureGroupKind.Id),
            Group("account", FeatureSide.User, FeatureGroupKind.Id),
        ]));
    }

    [Fact]
    public void Two_Behaviour_groups_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("recent", FeatureSide.User, FeatureGroupKind.Behaviour),
            Group("older", FeatureSide.User, FeatureGroupKind.Behaviour),
        ]));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(0f)]
    [InlineData(-1f)]
    public void Non_finite_or_non_positive_weight_is_rejected_naming_the_group(float weight)
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureSchema(
        [
            Group("heavy", FeatureSide.Item, FeatureGroupKind.Categorical) with { Weight = weight },
        ]));

        Assert.Contains("heavy", error.Message);
    }

    [Fact]
    public void Non_finite_value_scale_or_centre_is_rejected_naming_the_group()
    {
        var scale = Assert.Throws<ArgumentException>(() => new FeatureSchema([Group("recent", FeatureSide.User, FeatureGroupKind.Behaviour) with { ValueScale = float.NaN }]));
        var centre = Assert.Throws<ArgumentException>(() => new FeatureSchema([Group("recent", FeatureSide.User, FeatureGroupKind.Behaviour) with { ValueCenter = float.PositiveInfinity }]));

        Assert.Contains("recent", scale.Message);
        Assert.Contains("recent", centre.Message);
    }

    [Fact]
    public void Negative_sizes_are_rejected_naming_the_group()
    {
        Assert.Contains("tags", Assert.Throws<ArgumentException>(() => new FeatureSchema([Group("tags", FeatureSide.Item, FeatureGroupKind.Categorical) with { MaxValues = -1 }])).Message);
        Assert.Contains("tags", Assert.Throws<ArgumentException>(() => new FeatureSchema([Group("tags", FeatureSide.Item, FeatureGroupKind.Categorical) with { MaxVocabulary = -1 }])).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Groups_without_a_name_are_rejected(string name)
    {
        Assert.Throws<ArgumentException>(() => new FeatureSchema([Group(name, FeatureSide.User, FeatureGroupKind.Categorical)]));
    }

    [Fact]
    public void Hash_is_the_same_for_the_same_groups()
    {
        var first = new FeatureSchema(ValidGroups());
        var second = new FeatureSchema(ValidGroups());

        Assert.Equal(first.Hash, second.Hash);
        Assert.Matches("^[0-9a-f]{32}$", first.Hash);
    }

    [Fact]
    public void Hash_changes_when_a_weight_changes()
    {
        var groups = ValidGroups();
        var original = new FeatureSchema(groups);
        groups[1] = groups[1] with { Weight = 0.75f };

        Assert.NotEqual(original.Hash, new FeatureSchema(groups).Hash);
    }

    [Fact]
    public void Hash_changes_when_a_boundary_or_the_group_order_changes()
    {
        var groups = ValidGroups();
        var original = new FeatureSchema(groups).Hash;
        var moved = groups.ToArray();
        moved[1] = moved[1] with { Boundaries = [18, 30, 60] };
        var reordered = new[] { groups[2], groups[3], groups[0], groups[1] };

        Assert.NotEqual(original, new FeatureSchema(moved).Hash);
        Assert.NotEqual(original, new FeatureSchema(reordered).Hash);
    }

    private static FeatureGroup Group(string name, FeatureSide side, FeatureGroupKind kind)
        => new() { Name = name, Side = side, Kind = kind };

    private static FeatureGroup[] ValidGroups() =>
    [
        new() { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id },
        new() { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [18, 30, 50], Weight = 0.5f },
        new() { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id },
        new() { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 64 },
    ];
}
