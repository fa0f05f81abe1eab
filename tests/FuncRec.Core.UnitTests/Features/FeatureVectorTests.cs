using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Features;

public sealed class FeatureVectorTests
{
    [Fact]
    public void Add_grows_past_the_initial_capacity()
    {
        var vector = new FeatureVector(1);
        for (var i = 0; i < 5; i++)
        {
            vector.Add(i, i * 0.5f);
        }

        Assert.Equal([0, 1, 2, 3, 4], vector.Rows.ToArray());
        Assert.Equal([0f, 0.5f, 1f, 1.5f, 2f], vector.Weights.ToArray());
    }

    [Fact]
    public void ScaleFrom_scales_only_entries_from_the_start_index()
    {
        var vector = new FeatureVector();
        vector.AddRange([1, 2, 3], [2f, 2f, 2f]);

        vector.ScaleFrom(1, 0.5f);

        Assert.Equal([2f, 1f, 1f], vector.Weights.ToArray());
    }

    [Fact]
    public void Clear_empties_and_ToSparse_copies_exactly()
    {
        var vector = new FeatureVector();
        var other = new FeatureVector();
        other.Add(7, 0.25f);
        vector.AddRange(other);
        var sparse = vector.ToSparse();

        vector.Clear();

        Assert.Equal(0, vector.Count);
        Assert.Equal([7], sparse.Rows);
        Assert.Equal([0.25f], sparse.Weights);
        Assert.Equal(1, sparse.Count);
        Assert.Equal(0, SparseFeatures.Empty.Count);
    }
}
