using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Features;

public sealed class FeatureEncoderTests
{
    // User rows: age 0..2, context 3..66, device 67..82; dictionary rows start at 83.
    private const int ContextOffset = 3;
    private const int DeviceOffset = 67;
    private const int ReservedUserRows = 83;

    private static readonly FeatureSchema Schema = new(
    [
        new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = 3, Weight = 2f, ValueScale = 0.25f, ValueCenter = 3f, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "plain", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Weight = 2f, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "mean", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Weight = 2f, Normalization = FeatureNormalization.Mean },
        new FeatureGroup { Name = "sqrt", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Weight = 2f, Normalization = FeatureNormalization.InverseSqrt },
        new FeatureGroup { Name = "capped", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, MaxValues = 2, Normalization = FeatureNormalization.Mean },
        new FeatureGroup { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [18, 30], Weight = 0.5f, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "context", Side = FeatureSide.User, Kind = FeatureGroupKind.Context, HashBuckets = 64 },
        new FeatureGroup { Name = "device", Side = FeatureSide.User, Kind = FeatureGroupKind.Context, Field = "device", HashBuckets = 16, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 256, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "summary", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, Field = "description", HashBuckets = 64, MaxValues = 2 },
    ]);

    private readonly FeatureSpace _space = new(Schema);
    private readonly FeatureEncoder _encoder;
    private readonly FeatureVector _vector = new(4);

    public FeatureEncoderTests() => _encoder = new FeatureEncoder(_space);

    [Fact]
    public void EncodeProfile_counts_unknown_fields_and_ignores_them()
    {
        var profile = User("u1", ("plain", "x"), ("shoe_size", 44.0), ("colour", new[] { "red", "blue" }), ("recent", "i1"));

        _encoder.EncodeProfile(FeatureSide.User, profile, grow: true, _vector);

        // "recent" is a Behaviour group, which profiles do not feed, so it counts as unknown too.
        Assert.Equal(3, _encoder.UnknownFieldCount);
        Assert.Equal(0, _encoder.UnmappedValueCount);
        Assert.Equal(["user=u1", "plain=x"], Describe(FeatureSide.User));
    }

    [Fact]
    public void EncodeProfile_adds_the_id_row_with_the_group_weight()
    {
        _encoder.EncodeProfile(FeatureSide.User, new EntityProfile("u1"), grow: true, _vector);

        Assert.Equal([ReservedUserRows], _vector.Rows.ToArray());
        Assert.Equal([1f], _vector.Weights.ToArray());
    }

    [Fact]
    public void EncodeProfile_counts_an_unknown_id_as_unmapped_when_the_space_may_not_grow()
    {
        _encoder.EncodeProfile(FeatureSide.User, new EntityProfile("nobody"), grow: false, _vector);

        Assert.Equal(0, _vector.Count);
        Assert.Equal(1, _encoder.UnmappedValueCount);
        Assert.Equal(ReservedUserRows, _space.RowCount(FeatureSide.User));
    }

    [Fact]
    public void EncodeProfile_counts_a_non_numeric_value_of_a_numeric_group_as_unmapped()
    {
        _encoder.EncodeProfile(FeatureSide.User, User("u1", ("age", "old")), grow: true, _vector);
        _encoder.EncodeProfile(FeatureSide.User, User("u2", ("age", new[] { "20", "30" })), grow: true, _vector);

        Assert.Equal(2, _encoder.UnmappedValueCount);
        Assert.Equal(["user=u1", "user=u2"], Describe(FeatureSide.User));
    }

    [Fact]
    public void EncodeProfile_buckets_numbers_and_numeric_text_with_the_group_weight()
    {
        _encoder.EncodeProfile(FeatureSide.User, User("u1", ("age", 30.0)), grow: true, _vector);
        _encoder.EncodeProfile(FeatureSide.User, User("u2", ("age", "17.5")), grow: true, _vector);

        Assert.Equal(["user=u1", "age[30,inf)", "user=u2", "age[-inf,18)"], Describe(FeatureSide.User));
        Assert.Equal([1f, 0.5f, 1f, 0.5f], _vector.Weights.ToArray());
        Assert.Equal(0, _encoder.UnmappedValueCount);
    }

    [Fact]
    public void EncodeProfile_normalises_each_group_by_its_own_rule()
    {
        string[] four = ["a", "b", "c", "d"];
        var profile = User("u1", ("plain", four), ("mean", four), ("sqrt", four));

        _encoder.EncodeProfile(FeatureSide.User, profile, grow: true, _vector);

        // Weight 2 over 4 values: None keeps 2, Mean gives 2/4, InverseSqrt gives 2/sqrt(4).
        Assert.Equal([1f, 2f, 2f, 2f, 2f, 0.5f, 0.5f, 0.5f, 0.5f, 1f, 1f, 1f, 1f], _vector.Weights.ToArray());
        Assert.Equal(["user=u1", "plain=a", "plain=b", "plain=c", "plain=d", "mean=a", "mean=b", "mean=c", "mean=d", "sqrt=a", "sqrt=b", "sqrt=c", "sqrt=d"], Describe(FeatureSide.User));
    }

    [Fact]
    public void EncodeProfile_does_not_normalise_a_single_value()
    {
        _encoder.EncodeProfile(FeatureSide.User, User("u1", ("sqrt", "only"), ("mean", new[] { "one" })), grow: true, _vector);

        Assert.Equal([1f, 2f, 2f], _vector.Weights.ToArray());
    }

    [Fact]
    public void EncodeProfile_reads_at_most_MaxValues_values_of_a_list()
    {
        _encoder.EncodeProfile(FeatureSide.User, User("u1", ("capped", new[] { "a", "b", "c", "d" })), grow: true, _vector);

        Assert.Equal(["user=u1", "capped=a", "capped=b"], Describe(FeatureSide.User));
        Assert.Equal([1f, 0.5f, 0.5f], _vector.Weights.ToArray());
    }

    [Fact]
    public void EncodeProfile_tokenises_text_like_TextTokenizer()
    {
        var title = "Hello, World! A b2 x ÉCOLE " + new string('z', 70) + "-end";

        _encoder.EncodeProfile(FeatureSide.Item, new EntityProfile("i1", new Dictionary<string, FeatureValue> { ["title"] = title }), grow: true, _vector);

        var expected = TextTokenizer.Tokens(title).Select(token => Row(FeatureSide.Item, 1, token)).ToArray();
        Assert.Equal(6, expected.Length);
        Assert.Equal(expected, _vector.Rows[1..].ToArray());
        Assert.All(_vector.Weights[1..].ToArray(), w => Assert.Equal(1f, w));
    }

    [Fact]
    public void EncodeProfile_reads_text_from_every_list_value_up_to_MaxValues_tokens()
    {
        var profile = new EntityProfile("i1", new Dictionary<string, FeatureValue> { ["description"] = new[] { "one", "two three" } });

        _encoder.EncodeProfile(FeatureSide.Item, profile, grow: true, _vector);

        // MaxValues = 2 keeps "one" and "two"; InverseSqrt over 2 rows.
        Assert.Equal(new[] { Row(FeatureSide.Item, 2, "one"), Row(FeatureSide.Item, 2, "two") }, _vector.Rows[1..].ToArray());
        Assert.Equal([1f / MathF.Sqrt(2), 1f / MathF.Sqrt(2)], _vector.Weights[1..].ToArray());
    }

    [Fact]
    public void EncodeProfile_with_grow_false_does_not_add_dictionary_rows()
    {
        _encoder.EncodeProfile(FeatureSide.User, User("u1", ("plain", "new")), grow: false, _vector);

        Assert.Equal(0, _vector.Count);
        Assert.Equal(2, _encoder.UnmappedValueCount);
        Assert.Equal(ReservedUserRows, _space.RowCount(FeatureSide.User));
    }

    [Fact]
    public void EncodeBehaviour_keeps_the_newest_MaxValues_items_and_applies_value_weights()
    {
        _encoder.EncodeBehaviour(["a", "b", "c", "d"], [5f, 1f, 3f, 4f], grow: true, _vector);

        // Weight 2·(1 + 0.25·(value − 3)) for b, c, d: 2·0.5, 2·1, 2·1.25.
        Assert.Equal(["recent=b", "recent=c", "recent=d"], Describe(FeatureSide.User));
        Assert.Equal([1f, 2f, 2.5f], _vector.Weights.ToArray());
        Assert.False(_space.TryGetRow(FeatureSide.User, 1, "a", grow: false, out _));
    }

    [Fact]
    public void Behaviour_entries_kept_and_appended_later_encode_exactly_as_EncodeBehaviour()
    {
        _encoder.EncodeBehaviour(["a", "b", "c", "d"], null, grow: true, _vector);
        // The group keeps the newest 3: c, unknown (mapped to no row) and d.
        string[] items = ["b", "c", "unknown", "d"];
        float[] values = [5f, 1f, 2f, 4f];
        var expected = new FeatureVector();
        var unmappedBefore = _encoder.UnmappedValueCount;
        _encoder.EncodeBehaviour(items, values, grow: false, expected);
        var counted = _encoder.UnmappedValueCount - unmappedBefore;

        var entries = items.Select((item, i) => _encoder.BehaviourEntry(item, values[i])).ToArray();
        var appended = new FeatureVector();
        _encoder.AppendBehaviour(entries.Select(e => e.Row).ToArray(), entries.Select(e => e.Weight).ToArray(), appended);

        Assert.Equal(-1, entries[2].Row);
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.Rows.ToArray(), appended.Rows.ToArray());
        Assert.Equal(expected.Weights.ToArray(), appended.Weights.ToArray());
        Assert.Equal(1, counted);
        Assert.Equal(2, _encoder.UnmappedValueCount - unmappedBefore);
    }

    [Fact]
    public void EncodeBehaviour_without_values_weighs_every_item_the_group_weight()
    {
        _encoder.EncodeBehaviour(["a", "b"], null, grow: true, _vector);

        Assert.Equal([2f, 2f], _vector.Weights.ToArray());
    }

    [Fact]
    public void EncodeBehaviour_rejects_values_that_do_not_match_the_items()
    {
        Assert.Throws<ArgumentException>(() => _encoder.EncodeBehaviour(["a", "b"], [1f], grow: true, _vector));
    }

    [Fact]
    public void EncodeBehaviour_counts_unknown_items_as_unmapped_when_the_space_may_not_grow()
    {
        _encoder.EncodeBehaviour(["a", "b"], null, grow: false, _vector);

        Assert.Equal(0, _vector.Count);
        Assert.Equal(2, _encoder.UnmappedValueCount);
    }

    [Fact]
    public void TryGetBehaviourRow_finds_the_row_EncodeBehaviour_used()
    {
        _encoder.EncodeBehaviour(["a"], null, grow: true, _vector);

        Assert.True(_encoder.HasBehaviourGroup);
        Assert.Equal("recent", _encoder.BehaviourGroup?.Name);
        Assert.True(_encoder.TryGetBehaviourRow("a", grow: false, out var row));
        Assert.Equal(_vector.Rows[0], row);
    }

    [Fact]
    public void EncodeContext_hashes_key_value_pairs_into_each_context_group()
    {
        var context = new Dictionary<string, string> { ["device"] = "mobile", ["hour"] = "9" };

        _encoder.EncodeContext(context, _vector);

        int[] expected =
        [
            ContextOffset + StableHash.Bucket("context", "device=mobile", 64),
            ContextOffset + StableHash.Bucket("context", "hour=9", 64),
            DeviceOffset + StableHash.Bucket("device", "device=mobile", 16),
        ];
        Assert.Equal(expected, _vector.Rows.ToArray());
        Assert.Equal([1f / MathF.Sqrt(2), 1f / MathF.Sqrt(2), 1f], _vector.Weights.ToArray());
    }

    [Fact]
    public void EncodeContext_never_grows_the_space()
    {
        _encoder.EncodeContext(new Dictionary<string, string> { ["device"] = "tv", ["country"] = "fr" }, _vector);

        Assert.Equal(ReservedUserRows, _space.RowCount(FeatureSide.User));
        Assert.Empty(_space.DictionaryEntries(FeatureSide.User));
    }

    [Fact]
    public void EncodeContext_counts_a_pair_too_long_to_hash_as_unmapped()
    {
        _encoder.EncodeContext(new Dictionary<string, string> { ["note"] = new string('x', 300) }, _vector);

        Assert.Equal(0, _vector.Count);
        Assert.Equal(1, _encoder.UnmappedValueCount);
    }

    [Fact]
    public void EncodeContext_ignores_a_missing_or_empty_context()
    {
        _encoder.EncodeContext(null, _vector);
        _encoder.EncodeContext(new Dictionary<string, string>(), _vector);

        Assert.Equal(0, _vector.Count);
    }

    private static EntityProfile User(string id, params (string Field, FeatureValue Value)[] fields)
        => new(id, fields.ToDictionary(f => f.Field, f => f.Value));

    private string[] Describe(FeatureSide side)
        => _vector.Rows.ToArray().Select(row => _space.DescribeRow(side, row)).ToArray();

    private int Row(FeatureSide side, int group, string value)
    {
        Assert.True(_space.TryGetRow(side, group, value, grow: false, out var row));
        return row;
    }
}
