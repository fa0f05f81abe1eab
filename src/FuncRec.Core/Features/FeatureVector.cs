namespace FuncRec.Core.Features;

/// <summary>
/// A sparse weighted list of table rows: the encoded form of a user or item. Reused between calls so the hot
/// paths allocate nothing; not thread-safe.
/// </summary>
public sealed class FeatureVector
{
    private int[] _rows;
    private float[] _weights;

    public FeatureVector(int capacity = 16)
    {
        _rows = new int[Math.Max(capacity, 1)];
        _weights = new float[Math.Max(capacity, 1)];
    }

    public int Count { get; private set; }

    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, Count);

    public ReadOnlySpan<float> Weights => _weights.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public void Add(int row, float weight)
    {
        if (Count == _rows.Length)
        {
            Array.Resize(ref _rows, _rows.Length * 2);
            Array.Resize(ref _weights, _weights.Length * 2);
        }

        _rows[Count] = row;
        _weights[Count] = weight;
        Count++;
    }

    /// <summary>Appends all entries of another vector.</summary>
    public void AddRange(FeatureVector other)
    {
        for (var i = 0; i < other.Count; i++)
        {
            Add(other._rows[i], other._weights[i]);
        }
    }

    /// <summary>Appends entries from parallel spans.</summary>
    public void AddRange(ReadOnlySpan<int> rows, ReadOnlySpan<float> weights)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            Add(rows[i], weights[i]);
        }
    }

    /// <summary>Multiplies the weights of entries [start, Count) by a factor (used to normalise a group after it is read).</summary>
    public void ScaleFrom(int start, float factor)
    {
        for (var i = start; i < Count; i++)
        {
            _weights[i] *= factor;
        }
    }

    /// <summary>A compact copy (exact length arrays).</summary>
    public SparseFeatures ToSparse() => new(_rows.AsSpan(0, Count).ToArray(), _weights.AsSpan(0, Count).ToArray());
}

/// <summary>An immutable encoded feature list, cached per entity.</summary>
public sealed record SparseFeatures(int[] Rows, float[] Weights)
{
    public static SparseFeatures Empty { get; } = new([], []);

    public int Count => Rows.Length;
}
