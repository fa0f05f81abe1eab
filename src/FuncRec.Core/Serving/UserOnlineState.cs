namespace FuncRec.Core.Serving;

/// <summary>
/// What online learning knows about one user on top of a model version: a vector and a bias added to the
/// user's feature-based p_u and b_u, with their AdaGrad accumulators — one such state per learning-rate
/// candidate of an <see cref="LearningRateGrid"/> (a single candidate when the rate is fixed). It belongs to the
/// model version it was learned against (<see cref="ModelVersion"/>) and must never be added to another
/// version's vectors.
/// </summary>
public sealed class UserOnlineState
{
    public UserOnlineState(int rank, string? modelVersion, int candidates = 1, float initialAccumulator = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        Rank = rank;
        ModelVersion = modelVersion;
        Vectors = new float[candidates * rank];
        Biases = new float[candidates];
        VectorAccumulators = Enumerable.Repeat(initialAccumulator, candidates).ToArray();
        BiasAccumulators = Enumerable.Repeat(initialAccumulator, candidates).ToArray();
    }

    public UserOnlineState(int rank, string? modelVersion, float[] vectors, float[] biases, float[] vectorAccumulators, float[] biasAccumulators, long appliedEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(biases);
        ArgumentNullException.ThrowIfNull(vectorAccumulators);
        ArgumentNullException.ThrowIfNull(biasAccumulators);
        var candidates = biases.Length;
        if (candidates < 1 || vectors.Length != candidates * rank || vectorAccumulators.Length != candidates || biasAccumulators.Length != candidates)
        {
            throw new ArgumentException("Online state arrays disagree on rank or number of candidates.");
        }

        Rank = rank;
        ModelVersion = modelVersion;
        Vectors = vectors;
        Biases = biases;
        VectorAccumulators = vectorAccumulators;
        BiasAccumulators = biasAccumulators;
        AppliedEvents = appliedEvents;
    }

    public int Rank { get; }

    public int Candidates => Biases.Length;

    /// <summary>The model version this state was learned against (null before any model).</summary>
    public string? ModelVersion { get; }

    /// <summary>Candidate vectors, one after the other (<see cref="Candidates"/> × <see cref="Rank"/>).</summary>
    public float[] Vectors { get; }

    public float[] Biases { get; }

    public float[] VectorAccumulators { get; }

    public float[] BiasAccumulators { get; }

    /// <summary>Events applied to this state.</summary>
    public long AppliedEvents { get; internal set; }

    public Span<float> Vector(int candidate) => Vectors.AsSpan(candidate * Rank, Rank);

    public UserOnlineState Clone() => new(Rank, ModelVersion, (float[])Vectors.Clone(), (float[])Biases.Clone(), (float[])VectorAccumulators.Clone(), (float[])BiasAccumulators.Clone(), AppliedEvents);
}
