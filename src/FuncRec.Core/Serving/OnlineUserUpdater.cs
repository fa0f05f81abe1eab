using FuncRec.Core.Model;

namespace FuncRec.Core.Serving;

/// <summary>Step sizes and limits of online user updates.</summary>
public sealed record OnlineUpdateOptions
{
    /// <summary>Bias learning rate as a multiple of the vector's (each candidate's rate times this).</summary>
    public float BiasRateRatio { get; init; } = 1f;

    /// <summary>L2 pull of the online vector and bias toward zero (toward the model's own view of the user).</summary>
    public float L2 { get; init; } = 0.05f;

    public float InitialAccumulator { get; init; } = 1f;

    /// <summary>Largest Euclidean norm the online vector may reach; a cap that keeps frequent updates stable.</summary>
    public float MaxVectorNorm { get; init; } = 3f;

    /// <summary>Largest absolute online bias.</summary>
    public float MaxBias { get; init; } = 2f;

    public void Validate()
    {
        Training.TrainerOptions.Check(float.IsFinite(BiasRateRatio) && BiasRateRatio >= 0, nameof(BiasRateRatio), "must be finite and not negative");
        Training.TrainerOptions.Check(float.IsFinite(L2) && L2 >= 0, nameof(L2), "must be finite and not negative");
        Training.TrainerOptions.Check(float.IsFinite(InitialAccumulator) && InitialAccumulator > 0, nameof(InitialAccumulator), "must be finite and positive");
        Training.TrainerOptions.Check(float.IsFinite(MaxVectorNorm) && MaxVectorNorm > 0, nameof(MaxVectorNorm), "must be finite and positive");
        Training.TrainerOptions.Check(float.IsFinite(MaxBias) && MaxBias > 0, nameof(MaxBias), "must be finite and positive");
    }
}

/// <summary>
/// Online SGD on a user's <see cref="UserOnlineState"/> against a frozen model: the model's feature-based user
/// vector p₀ plus the online vector is scored against the item, and only the online part moves. This is how
/// events change a user's recommendations within moments without touching the shared model. Every candidate of
/// the state learns under its own rate (see <see cref="LearningRateGrid"/>); each candidate's loss on the event
/// is measured before its step (prequential). A candidate whose step would go non-finite keeps its old values.
/// </summary>
public static class OnlineUserUpdater
{
    /// <summary>
    /// A pointwise step: squared error toward a rating (losses are squared errors of the clipped prediction), or
    /// logistic loss toward 1 (implicit positive) or 0. Returns false when no candidate could take its step.
    /// </summary>
    public static bool ApplyPointwise(
        RecommenderModel model,
        ReadOnlySpan<float> baseVector,
        float baseBias,
        UserOnlineState state,
        ReadOnlySpan<float> itemVector,
        float itemBias,
        float target,
        float weight,
        OnlineUpdateOptions options,
        IReadOnlyList<float> rates,
        Span<double> lossesBefore)
    {
        Check(model, state, baseVector, rates, lossesBefore);
        Span<float> p = stackalloc float[model.Rank];
        Span<float> direction = stackalloc float[model.Rank];
        var anyStep = false;
        for (var c = 0; c < state.Candidates; c++)
        {
            Compose(baseVector, state, c, p);
            var score = model.Score(p, baseBias + state.Biases[c], itemVector, itemBias);
            float g;
            if (model.Loss == LossKind.Squared)
            {
                var error = model.Clip(score) - target;
                lossesBefore[c] = (double)error * error;
                g = score - target;
            }
            else
            {
                g = LossFunctions.Pointwise(LossKind.Logistic, score, target, out var loss);
                lossesBefore[c] = loss;
            }

            g *= weight;
            for (var j = 0; j < direction.Length; j++)
            {
                direction[j] = g * itemVector[j];
            }

            anyStep |= Step(state, c, direction, g, rates[c], options);
        }

        if (anyStep)
        {
            state.AppliedEvents++;
        }

        return anyStep;
    }

    /// <summary>A pairwise (BPR) step: the positive item should outscore the sampled negative; losses are BPR losses.</summary>
    public static bool ApplyPairwise(
        RecommenderModel model,
        ReadOnlySpan<float> baseVector,
        UserOnlineState state,
        ReadOnlySpan<float> positiveVector,
        float positiveBias,
        ReadOnlySpan<float> negativeVector,
        float negativeBias,
        float weight,
        OnlineUpdateOptions options,
        IReadOnlyList<float> rates,
        Span<double> lossesBefore)
    {
        Check(model, state, baseVector, rates, lossesBefore);
        Span<float> p = stackalloc float[model.Rank];
        Span<float> direction = stackalloc float[model.Rank];
        var anyStep = false;
        for (var c = 0; c < state.Candidates; c++)
        {
            Compose(baseVector, state, c, p);
            var difference = positiveBias - negativeBias + VectorOps.Dot(p, positiveVector) - VectorOps.Dot(p, negativeVector);
            var g = LossFunctions.Bpr(difference, out var loss) * weight;
            lossesBefore[c] = loss;
            for (var j = 0; j < direction.Length; j++)
            {
                direction[j] = g * (positiveVector[j] - negativeVector[j]);
            }

            anyStep |= Step(state, c, direction, 0f, rates[c], options);
        }

        if (anyStep)
        {
            state.AppliedEvents++;
        }

        return anyStep;
    }

    private static void Check(RecommenderModel model, UserOnlineState state, ReadOnlySpan<float> baseVector, IReadOnlyList<float> rates, Span<double> losses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rates);
        if (state.Rank != model.Rank || baseVector.Length != model.Rank)
        {
            throw new ArgumentException("The online state, the base vector and the model differ in rank.");
        }

        if (rates.Count != state.Candidates || losses.Length < state.Candidates)
        {
            throw new ArgumentException("Give one learning rate and one loss slot per candidate of the online state.");
        }
    }

    private static void Compose(ReadOnlySpan<float> baseVector, UserOnlineState state, int candidate, Span<float> into)
    {
        baseVector.CopyTo(into);
        VectorOps.Add(into, state.Vector(candidate));
    }

    private static bool Step(UserOnlineState state, int c, ReadOnlySpan<float> direction, float biasGradient, float rate, OnlineUpdateOptions options)
    {
        var rank = state.Rank;
        Span<float> candidate = stackalloc float[rank];
        Span<float> scratch = stackalloc float[rank];
        state.Vector(c).CopyTo(candidate);
        var accumulator = VectorOps.AdaGradStep(candidate, direction, 1f, options.L2, default, 0f, state.VectorAccumulators[c], rate, scratch);
        var bias = state.Biases[c];
        var biasG = biasGradient + (options.L2 * bias);
        var biasAccumulator = state.BiasAccumulators[c] + (biasG * biasG);
        var newBias = bias - (rate * options.BiasRateRatio / MathF.Sqrt(biasAccumulator) * biasG);
        var norm = MathF.Sqrt(VectorOps.Dot(candidate, candidate));
        if (!float.IsFinite(accumulator) || !float.IsFinite(norm) || !float.IsFinite(newBias) || !float.IsFinite(biasAccumulator))
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

        candidate.CopyTo(state.Vector(c));
        state.VectorAccumulators[c] = accumulator;
        state.Biases[c] = Math.Clamp(newBias, -options.MaxBias, options.MaxBias);
        state.BiasAccumulators[c] = biasAccumulator;
        return true;
    }
}
