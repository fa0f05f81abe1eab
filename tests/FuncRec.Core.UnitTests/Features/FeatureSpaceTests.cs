using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Features;

public sealed class FeatureSpaceTests
{
    // User side layout: age owns rows 0..3 (4 buckets), tag rows 4..19 (16 hash rows), friends rows 20..27
    // (8 overflow rows); user and segment keep dictionaries only, so dictionary rows start at 28.
    private const int AgeGroup = 1;
    private const int TagGroup = 2;
    private const int FriendsGroup = 3;
    private const int SegmentGroup = 4;
    private const int ReservedUserRows = 28;

    private static readonly FeatureSchema Schema = new(
    [
        new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id },
        new FeatureGroup { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [18, 25, 35] },
        new FeatureGroup { Name = "tag", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, HashBuckets = 16 },
        new FeatureGroup { Name = "friends", Side = FeatureSide.User, Kind = FeatureGroupKind.Social, HashBuckets = 8, MaxVocabulary = 2 },
        new FeatureGroup { Name = "segment", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, MaxVocabulary = 1 },
        new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id },
        new FeatureGroup { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 32 },
    ]);

    [Fact]
    public void A_new_space_holds_only_the_reserved_rows()
    {
        var space = new FeatureSpace(Schema);

        Assert.Equal(ReservedUserRows, space.RowCount(FeatureSide.User));
        Assert.Equal(32, space.RowCount(FeatureSide.Item));
        Assert.Empty(space.DictionaryEntries(FeatureSide.User));
    }

    [Fact]
    public void GroupIndex_finds_groups_by_name_within_their_side()
    {
        var space = new FeatureSpace(Schema);

        Assert.Equal(SegmentGroup, space.GroupIndex(FeatureSide.User, "segment"));
        Assert.Equal(1, space.GroupIndex(FeatureSide.Item, "title"));
        Assert.Equal(-1, space.GroupIndex(FeatureSide.Item, "segment"));
    }

    [Fact]
    public void TryGetRow_does_not_grow_the_dictionary_unless_asked()
    {
        var space = new FeatureSpace(Schema);

        var found = space.TryGetRow(FeatureSide.User, 0, "alice", grow: false, out var row);

        Assert.False(found);
        Assert.Equal(-1, row);
        Assert.Equal(ReservedUserRows, space.RowCount(FeatureSide.User));
    }

    [Fact]
    public void TryGetRow_with_grow_appends_a_row_once_per_new_value()
    {
        var space = new FeatureSpace(Schema);

        Assert.True(space.TryGetRow(FeatureSide.User, 0, "alice", grow: true, out var alice));
        Assert.True(space.TryGetRow(FeatureSide.User, 0, "bob", grow: true, out var bob));
        Assert.True(space.TryGetRow(FeatureSide.User, 0, "alice", grow: true, out var aliceAgain));
        Assert.True(space.TryGetRow(FeatureSide.User, 0, "alice", grow: false, out var aliceRead));

        Assert.Equal(ReservedUserRows, alice);
        Assert.Equal(ReservedUserRows + 1, bob);
        Assert.Equal(alice, aliceAgain);
        Assert.Equal(alice, aliceRead);
        Assert.Equal(ReservedUserRows + 2, space.RowCount(FeatureSide.User));
        Assert.Equal([(0, "alice"), (0, "bob")], space.DictionaryEntries(FeatureSide.User));
    }

    [Fact]
    public void Hashed_rows_are_stable_across_spaces_and_stay_in_the_group_block()
    {
        var first = new FeatureSpace(Schema);
        var second = new FeatureSpace(Schema);

        foreach (var value in new[] { "red", "green", "blue", "a-very-long-tag-value", string.Empty })
        {
            Assert.True(first.TryGetRow(FeatureSide.User, TagGroup, value, grow: true, out var row));
            Assert.True(second.TryGetRow(FeatureSide.User, TagGroup, value, grow: false, out var again));

            Assert.Equal(row, again);
            Assert.Equal(4 + StableHash.Bucket("tag", value, 16), row);
            Assert.InRange(row, 4, 19);
        }

        Assert.Equal(ReservedUserRows, first.RowCount(FeatureSide.User));
    }

    [Fact]
    public void Text_rows_hash_within_their_block_on_the_item_side()
    {
        var space = new FeatureSpace(Schema);

        Assert.True(space.TryGetRow(FeatureSide.Item, 1, "story", grow: false, out var row));

        Assert.Equal(StableHash.Bucket("title", "story", 32), row);
        Assert.Equal(32, space.RowCount(FeatureSide.Item));
    }

    [Theory]
    [InlineData(-5.0, 0)]
    [InlineData(17.999, 0)]
    [InlineData(18.0, 1)]
    [InlineData(24.5, 1)]
    [InlineData(25.0, 2)]
    [InlineData(34.999, 2)]
    [InlineData(35.0, 3)]
    [InlineData(120.0, 3)]
    public void NumericRow_puts_a_value_equal_to_a_boundary_in_the_upper_bucket(double value, int bucket)
    {
        var space = new FeatureSpace(Schema);

        Assert.Equal(bucket, space.NumericRow(FeatureSide.User, AgeGroup, value));
    }

    [Fact]
    public void Values_beyond_MaxVocabulary_fall_into_the_hash_rows()
    {
        var space = new FeatureSpace(Schema);
        space.TryGetRow(FeatureSide.User, FriendsGroup, "f1", grow: true, out var f1);
        space.TryGetRow(FeatureSide.User, FriendsGroup, "f2", grow: true, out var f2);

        Assert.True(space.TryGetRow(FeatureSide.User, FriendsGroup, "f3", grow: true, out var overflow));
        Assert.True(space.TryGetRow(FeatureSide.User, FriendsGroup, "f3", grow: false, out var overflowRead));

        Assert.Equal([ReservedUserRows, ReservedUserRows + 1], new[] { f1, f2 });
        Assert.Equal(20 + StableHash.Bucket("friends", "f3", 8), overflow);
        Assert.InRange(overflow, 20, 27);
        Assert.Equal(overflow, overflowRead);
        Assert.Equal(ReservedUserRows + 2, space.RowCount(FeatureSide.User));
    }

    [Fact]
    public void Unknown_values_are_not_hashed_while_the_dictionary_has_room()
    {
        var space = new FeatureSpace(Schema);

        Assert.False(space.TryGetRow(FeatureSide.User, FriendsGroup, "stranger", grow: false, out _));
    }

    [Fact]
    public void Values_beyond_MaxVocabulary_are_dropped_without_hash_rows()
    {
        var space = new FeatureSpace(Schema);
        Assert.True(space.TryGetRow(FeatureSide.User, SegmentGroup, "gold", grow: true, out _));

        var found = space.TryGetRow(FeatureSide.User, SegmentGroup, "silver", grow: true, out var row);

        Assert.False(found);
        Assert.Equal(-1, row);
        Assert.Equal(ReservedUserRows + 1, space.RowCount(FeatureSide.User));
    }

    [Fact]
    public void DescribeRow_names_dictionary_hashed_and_numeric_rows()
    {
        var space = new FeatureSpace(Schema);
        space.TryGetRow(FeatureSide.User, SegmentGroup, "gold", grow: true, out var gold);
        space.TryGetRow(FeatureSide.User, TagGroup, "red", grow: false, out var red);

        Assert.Equal("segment=gold", space.DescribeRow(FeatureSide.User, gold));
        Assert.Equal($"tag#{red - 4}", space.DescribeRow(FeatureSide.User, red));
        Assert.Equal("age[-inf,18)", space.DescribeRow(FeatureSide.User, 0));
        Assert.Equal("age[18,25)", space.DescribeRow(FeatureSide.User, 1));
        Assert.Equal("age[35,inf)", space.DescribeRow(FeatureSide.User, 3));
        Assert.Equal("friends#0", space.DescribeRow(FeatureSide.User, 20));
        Assert.Equal("title#31", space.DescribeRow(FeatureSide.Item, 31));
    }

    [Fact]
    public void GroupOfRow_finds_the_owner_of_reserved_and_dictionary_rows()
    {
        var space = new FeatureSpace(Schema);
        space.TryGetRow(FeatureSide.User, 0, "alice", grow: true, out var alice);

        Assert.Equal("age", space.GroupOfRow(FeatureSide.User, 3).Name);
        Assert.Equal("tag", space.GroupOfRow(FeatureSide.User, 4).Name);
        Assert.Equal("tag", space.GroupOfRow(FeatureSide.User, 19).Name);
        Assert.Equal("friends", space.GroupOfRow(FeatureSide.User, 27).Name);
        Assert.Equal("user", space.GroupOfRow(FeatureSide.User, alice).Name);
    }

    [Fact]
    public void Clone_keeps_the_rows_and_grows_independently()
    {
        var original = new FeatureSpace(Schema);
        original.TryGetRow(FeatureSide.User, 0, "alice", grow: true, out var alice);
        original.TryGetRow(FeatureSide.Item, 0, "book", grow: true, out var book);

        var clone = original.Clone();
        clone.TryGetRow(FeatureSide.User, 0, "carol", grow: true, out var carol);
        original.TryGetRow(FeatureSide.User, 0, "dave", grow: true, out var dave);

        Assert.True(clone.TryGetRow(FeatureSide.User, 0, "alice", grow: false, out var cloneAlice));
        Assert.True(clone.TryGetRow(FeatureSide.Item, 0, "book", grow: false, out var cloneBook));
        Assert.Equal(alice, cloneAlice);
        Assert.Equal(book, cloneBook);
        Assert.False(original.TryGetRow(FeatureSide.User, 0, "carol", grow: false, out _));
        Assert.False(clone.TryGetRow(FeatureSide.User, 0, "dave", grow: false, out _));
        Assert.Equal(carol, dave);
        Assert.Equal(ReservedUserRows + 2, original.RowCount(FeatureSide.User));
        Assert.Equal(ReservedUserRows + 2, clone.RowCount(FeatureSide.User));
        Assert.Same(original.Schema, clone.Schema);
    }
}
