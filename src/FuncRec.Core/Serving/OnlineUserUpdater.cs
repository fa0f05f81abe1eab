using FuncRec.Core.Model;

namespace FuncRec.Core.Serving;

/// <summary>Step sizes and limits of online user updates.</summary>
public sealed record OnlineUpdateOptions
{
    public float LearningRate { get; init; } = 0.1f;

    public float BiasLearningRate { get; init; } = 0.1f;

    /// <summary>L2 pull of the online vector and bias toward zero (toward the model's own view of the user).</summary>
    public float L2 { get; init; } = 0.05f;

    public float InitialAccumulator { get; init; } = 1f;

    /// <summary>Largest Euclidean norm the online vector may reach; a cap that keeps frequent updates stable.</summary>
    public float MaxVectorNorm { get; init; } = 3f;

    /// <summary>Largest absolute online bias.</summary>
    public float MaxBias { get; init; } = 2f;

    public void Validate()
    {
        Training.TrainerOptions.Check(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), "must be finite and positive");
        Training.TrainerOptions.Check(float.IsFinite(BiasLearningRate) && BiasLearningRate >= 0, nameof(BiasLearningRate), "must be finite and not negative");
        Training.TrainerOptions.Check(float.IsFinite(L2) && L2 >= 0, nameof(L2), "must be finite and not negative");
        Training.TrainerOptions.Check(float.IsFinite(InitialAccumulator) && InitialAccumulator > 0, nameof(InitialAccumulator), "must be finite and positive");
        Training.TrainerOptions.Check(float.IsFinite(MaxVectorNorm) && MaxVectorNorm > 0, nameof(MaxVectorNorm), "must be finite and positive");
        Training.TrainerOptions.Check(float.IsFinite(MaxBias) && MaxBias > 0, nameof(MaxBias), "must be finite and positive");
    }
}

/// <summary>
/// Online SGD on a user's <see cref="UserOnlineState"/> against a frozen model: the model's feature-based user
/// vector p₀ plus the online vector is scored against the item, and only the online part moves. This is how
/// events change a user's recommendations within moments without touching the shared model. Each step is
/// checked: a non-finite result leaves the state as it was and reports false.
/// </summary>
public static class OnlineUserUpdater
{
    /// <summary>A pointwise step: squared error toward a rating, or logistic loss toward 1 (implicit positive) or 0.</summary>
    public static bool ApplyPointwise(
        RecommenderModel model,
        ReadOnlySpan<float> baseVector,
        float baseBias,
        UserOnlineState state,
        ReadOnlySpan<float> itemVector,
        float itemBias,
        float target,
        float weight,
        OnlineUpdateOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        Span<float> p = stackalloc float[model.Rank];
        Compose(baseVector, state, p);
        var score = model.Score(p, baseBias + state.Bias, itemVector, itemBias);
        float g;
        if (model.Loss == LossKind.Squared)
        {
            g = score - target;
        }
        else
        {
            g = (1f / (1f + MathF.Exp(-score))) - target;
        }

        g *= weight;
        Span<float> direction = stackalloc float[model.Rank];
        for (var j = 0; j < direction.Length; j++)
        {
            direction[j] = g * itemVector[j];
        }

        return Step(state, direction, g, options);
    }

    /// <summary>A pairwise (BPR) step: the positive item should outscore the sampled negative.</summary>
    public static bool ApplyPairwise(
        RecommenderModel model,
        ReadOnlySpan<float> baseVector,
        UserOnlineState state,
        ReadOnlySpan<float> positiveVector,
        float positiveBias,
        ReadOnlySpan<float> negativeVector,
        float negativeBias,
        float weight,
        OnlineUpdateOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        Span<float> p = stackalloc float[model.Rank];
        Compose(baseVector, state, p);
        var difference = positiveBias - negativeBias + VectorOps.Dot(p, positiveVector) - VectorOps.Dot(p, negativeVector);
        var g = -weight / (1f + MathF.Exp(difference));
        Span<float> direction = stackalloc float[model.Rank];
        for (var j = 0; j < direction.Length; j++)
        {
            direction[j] = g * (positiveVector[j] - negativeVector[j]);
        }

        return Step(state, direction, 0f, options);
    }

    private static void Compose(ReadOnlySpan<float> baseVector, UserOnlineState state, Span<float> into)
    {
        if (baseVector.Length != into.Length || state.Vector.Length != into.Length)
        {
            throw new ArgumentException("The online state, the base vector and the model differ in rank.");
        }

        baseVector.CopyTo(into);
        VectorOps.Add(into, state.Vector);
    }

    private static bool Step(UserOnlineState state, ReadOnlySpan<float> direction, float biasGradient, OnlineUpdateOptions options)
    {
        var rank = state.Vector.Length;
        Span<float> candidate = stackalloc float[rank];
        Span<float> scratch = stackalloc float[rank];
        state.Vector.CopyTo(candidate);
        var accumulator = VectorOps.AdaGradStep(candidate, direction, 1f, options.L2, default, 0f, state.VectorAccumulator, options.LearningRate, scratch);
        var biasG = biasGradient + (options.L2 * state.Bias);
        var biasAccumulator = state.BiasAccumulator + (biasG * biasG);
        var bias = state.Bias - (options.BiasLearningRate / MathF.Sqrt(biasAccumulator) * biasG);
        var norm = MathF.Sqrt(VectorOps.Dot(candidate, candidate));
        if (!float.IsFinite(accumulator) || !float.IsFinite(norm) || !float.IsFinite(bias) || !float.IsFinite(biasAccumulator))
        {
            return false;
        }

        if (norm > options.MaxVectorNorm)
        {
            var shrink = options.MaxVectorNorm / norm;
            for (var j = 0; j < rank; j++)
            {
                candidate[j] *= shrink;
            }
        }

        candidate.CopyTo(state.Vector);
        state.VectorAccumulator = accumulator;
        state.Bias = Math.Clamp(bias, -options.MaxBias, options.MaxBias);
        state.BiasAccumulator = biasAccumulator;
        state.AppliedEvents++;
        return true;
    }
}
