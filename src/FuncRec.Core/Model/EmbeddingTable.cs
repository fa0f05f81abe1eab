namespace FuncRec.Core.Model;

/// <summary>
/// One side's parameters: a vector and a bias per feature row, each with its AdaGrad accumulator (one per
/// row for the vector, one for the bias). Grows when the feature space grows; new rows start from a
/// deterministic function of (seed, side, row) so the same data gives the same model whatever the order of growth.
/// </summary>
public sealed class EmbeddingTable
{
    private float[] _vectors;
    private float[] _biases;
    private float[] _vectorAccumulators;
    private float[] _biasAccumulators;

    internal EmbeddingTable(int rank, int rows, ulong seed, float initScale, float initialAccumulator)
    {
        Rank = rank;
        Seed = seed;
        InitScale = initScale;
        InitialAccumulator = initialAccumulator;
        _vectors = [];
        _biases = [];
        _vectorAccumulators = [];
        _biasAccumulators = [];
        EnsureRows(rows);
    }

    private EmbeddingTable(EmbeddingTable source)
    {
        Rank = source.Rank;
        Seed = source.Seed;
        InitScale = source.InitScale;
        InitialAccumulator = source.InitialAccumulator;
        Rows = source.Rows;
        _vectors = (float[])source._vectors.Clone();
        _biases = (float[])source._biases.Clone();
        _vectorAccumulators = (float[])source._vectorAccumulators.Clone();
        _biasAccumulators = (float[])source._biasAccumulators.Clone();
    }

    public int Rank { get; }

    public int Rows { get; private set; }

    public ulong Seed { get; }

    public float InitScale { get; }

    public float InitialAccumulator { get; }

    /// <summary>All vectors, row-major, <see cref="Rows"/> × <see cref="Rank"/> (may be longer: spare capacity).</summary>
    internal float[] Vectors => _vectors;

    internal float[] Biases => _biases;

    internal float[] VectorAccumulators => _vectorAccumulators;

    internal float[] BiasAccumulators => _biasAccumulators;

    public ReadOnlySpan<float> Vector(int row) => _vectors.AsSpan(row * Rank, Rank);

    public float Bias(int row) => _biases[row];

    internal Span<float> MutableVector(int row) => _vectors.AsSpan(row * Rank, Rank);

    /// <summary>A read-only view of the first <see cref="Rows"/> rows.</summary>
    public ReadOnlySpan<float> AllVectors => _vectors.AsSpan(0, Rows * Rank);

    public ReadOnlySpan<float> AllBiases => _biases.AsSpan(0, Rows);

    internal EmbeddingTable Clone() => new(this);

    /// <summary>Adds initialised rows up to <paramref name="rows"/>.</summary>
    internal void EnsureRows(int rows)
    {
        if (rows <= Rows)
        {
            return;
        }

        if (rows > _biases.Length)
        {
            var capacity = Math.Max(rows, Math.Max(16, _biases.Length * 2));
            Array.Resize(ref _vectors, capacity * Rank);
            Array.Resize(ref _biases, capacity);
            Array.Resize(ref _vectorAccumulators, capacity);
            Array.Resize(ref _biasAccumulators, capacity);
        }

        for (var row = Rows; row < rows; row++)
        {
            InitialiseRow(row);
        }

        Rows = rows;
    }

    /// <summary>Drops rows beyond <paramref name="rows"/> (undoing growth); they are re-initialised if they come back.</summary>
    internal void Truncate(int rows)
    {
        if (rows < Rows)
        {
            Rows = rows;
        }
    }

    /// <summary>Replaces all parameters at once (used by persistence); lengths are checked by the caller.</summary>
    internal void Load(int rows, float[] vectors, float[] biases, float[] vectorAccumulators, float[] biasAccumulators)
    {
        Rows = rows;
        _vectors = vectors;
        _biases = biases;
        _vectorAccumulators = vectorAccumulators;
        _biasAccumulators = biasAccumulators;
    }

    private void InitialiseRow(int row)
    {
        var vector = _vectors.AsSpan(row * Rank, Rank);
        for (var j = 0; j < Rank; j++)
        {
            vector[j] = InitScale * StandardNormal(Seed, (ulong)row, (ulong)j);
        }

        _biases[row] = 0f;
        _vectorAccumulators[row] = InitialAccumulator;
        _biasAccumulators[row] = InitialAccumulator;
    }

    /// <summary>A standard normal draw that depends only on its arguments (Box–Muller on two hashed uniforms).</summary>
    private static float StandardNormal(ulong seed, ulong row, ulong column)
    {
        var a = Features.StableHash.Mix(seed ^ Features.StableHash.Mix((row << 20) ^ column));
        var b = Features.StableHash.Mix(a ^ 0x9E3779B97F4A7C15UL);
        var u1 = ((a >> 11) + 1.0) / 9007199254740993.0;
        var u2 = (b >> 11) / 9007199254740992.0;
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
