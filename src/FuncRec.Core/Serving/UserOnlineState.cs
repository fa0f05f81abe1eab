namespace FuncRec.Core.Serving;

/// <summary>
/// What online learning knows about one user on top of a model version: a vector and a bias added to the
/// user's feature-based p_u and b_u, with their AdaGrad accumulators. It belongs to the model version it was
/// learned against (<see cref="ModelVersion"/>); it must never be added to another version's vectors.
/// </summary>
public sealed class UserOnlineState
{
    public UserOnlineState(int rank, string? modelVersion, float initialAccumulator = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        Vector = new float[rank];
        ModelVersion = modelVersion;
        VectorAccumulator = initialAccumulator;
        BiasAccumulator = initialAccumulator;
    }

    public UserOnlineState(float[] vector, float bias, float vectorAccumulator, float biasAccumulator, string? modelVersion, long appliedEvents)
    {
        Vector = vector ?? throw new ArgumentNullException(nameof(vector));
        Bias = bias;
        VectorAccumulator = vectorAccumulator;
        BiasAccumulator = biasAccumulator;
        ModelVersion = modelVersion;
        AppliedEvents = appliedEvents;
    }

    public float[] Vector { get; }

    public float Bias { get; internal set; }

    public float VectorAccumulator { get; internal set; }

    public float BiasAccumulator { get; internal set; }

    /// <summary>The model version this state was learned against (null before any model).</summary>
    public string? ModelVersion { get; }

    /// <summary>Events applied to this state.</summary>
    public long AppliedEvents { get; internal set; }

    public UserOnlineState Clone() => new((float[])Vector.Clone(), Bias, VectorAccumulator, BiasAccumulator, ModelVersion, AppliedEvents);
}
