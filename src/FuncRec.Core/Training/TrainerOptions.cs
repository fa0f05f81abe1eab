using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>Hyper-parameters of a fit, with defaults that suit explicit ratings; checked by <see cref="Validate"/>.</summary>
public sealed record TrainerOptions
{
    /// <summary>Rank k of the factorisation (length of user and item vectors).</summary>
    public int Rank { get; init; } = 32;

    public LossKind Loss { get; init; } = LossKind.Squared;

    /// <summary>Passes over the data in <see cref="RecommenderTrainer.Fit"/>.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>AdaGrad base learning rate for factor rows.</summary>
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>AdaGrad base learning rate for biases.</summary>
    public float BiasLearningRate { get; init; } = 0.05f;

    /// <summary>L2 penalty on factor rows, applied to each row it touches (lazy).</summary>
    public float L2 { get; init; } = 0.02f;

    /// <summary>L2 penalty on biases.</summary>
    public float BiasL2 { get; init; } = 0.005f;

    /// <summary>Standard deviation of the initial factors.</summary>
    public float InitScale { get; init; } = 0.05f;

    /// <summary>Starting value of every AdaGrad accumulator; larger values make the first steps smaller.</summary>
    public float InitialAccumulator { get; init; } = 1f;

    /// <summary>Multiplies both learning rates after every epoch (1 = constant).</summary>
    public float EpochDecay { get; init; } = 1f;

    /// <summary>Sampled negatives per positive for Bpr and Logistic.</summary>
    public int NegativeSamples { get; init; } = 1;

    /// <summary>Most negatives drawn while looking for a margin violation under Warp.</summary>
    public int MaxWarpTrials { get; init; } = 64;

    /// <summary>Hinge margin of Warp.</summary>
    public float WarpMargin { get; init; } = 1f;

    /// <summary>Most consecutive events of one user that share one computation of the user's behaviour sum.</summary>
    public int UserChunkSize { get; init; } = 16;

    /// <summary>Seed of every random choice (initial factors, shuffling, negative sampling).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Lowest and highest predicted value for rating models (taken from the data when null).</summary>
    public float? MinValue { get; init; }

    public float? MaxValue { get; init; }

    /// <summary>Threads for <see cref="RecommenderTrainer.Fit"/> (lock-free Hogwild updates above 1; 1 is exactly reproducible).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Check(Rank is >= 1 and <= 1024, nameof(Rank), "must be between 1 and 1024");
        Check(Epochs is >= 0 and <= 10_000, nameof(Epochs), "must be between 0 and 10000");
        Check(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), "must be finite and positive");
        Check(float.IsFinite(BiasLearningRate) && BiasLearningRate >= 0, nameof(BiasLearningRate), "must be finite and not negative");
        Check(float.IsFinite(L2) && L2 >= 0, nameof(L2), "must be finite and not negative");
        Check(float.IsFinite(BiasL2) && BiasL2 >= 0, nameof(BiasL2), "must be finite and not negative");
        Check(float.IsFinite(InitScale) && InitScale >= 0, nameof(InitScale), "must be finite and not negative");
        Check(float.IsFinite(InitialAccumulator) && InitialAccumulator > 0, nameof(InitialAccumulator), "must be finite and positive");
        Check(float.IsFinite(EpochDecay) && EpochDecay is > 0 and <= 1, nameof(EpochDecay), "must be in (0, 1]");
        Check(NegativeSamples is >= 1 and <= 1000, nameof(NegativeSamples), "must be between 1 and 1000");
        Check(MaxWarpTrials is >= 1 and <= 100_000, nameof(MaxWarpTrials), "must be between 1 and 100000");
        Check(float.IsFinite(WarpMargin) && WarpMargin > 0, nameof(WarpMargin), "must be finite and positive");
        Check(UserChunkSize is >= 1 and <= 100_000, nameof(UserChunkSize), "must be between 1 and 100000");
        Check(Threads is >= 1 and <= 256, nameof(Threads), "must be between 1 and 256");
        Check(MinValue is null || float.IsFinite(MinValue.Value), nameof(MinValue), "must be finite");
        Check(MaxValue is null || float.IsFinite(MaxValue.Value), nameof(MaxValue), "must be finite");
        Check(MinValue is null || MaxValue is null || MinValue < MaxValue, nameof(MinValue), "must be below MaxValue");
    }

    internal static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"Trainer option {name} {rule}.", name);
        }
    }
}

/// <summary>How a child model is fine-tuned from its parent (transfer learning).</summary>
public sealed record FineTuneOptions
{
    /// <summary>Passes over the new data.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Learning rate of the fine-tune (usually below the parent's).</summary>
    public float LearningRate { get; init; } = 0.02f;

    public float BiasLearningRate { get; init; } = 0.02f;

    /// <summary>Strength of the L2 pull toward the parent's weights, which keeps old knowledge from being forgotten.</summary>
    public float AnchorL2 { get; init; } = 0.05f;

    /// <summary>Whether the child restarts AdaGrad accumulators (true lets it move; false keeps the parent's damped steps).</summary>
    public bool ResetAccumulators { get; init; } = true;

    /// <summary>Multiplies both learning rates after every epoch.</summary>
    public float EpochDecay { get; init; } = 1f;

    public ulong Seed { get; init; } = 7;

    public void Validate()
    {
        TrainerOptions.Check(Epochs is >= 1 and <= 1000, nameof(Epochs), "must be between 1 and 1000");
        TrainerOptions.Check(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), "must be finite and positive");
        TrainerOptions.Check(float.IsFinite(BiasLearningRate) && BiasLearningRate >= 0, nameof(BiasLearningRate), "must be finite and not negative");
        TrainerOptions.Check(float.IsFinite(AnchorL2) && AnchorL2 >= 0, nameof(AnchorL2), "must be finite and not negative");
        TrainerOptions.Check(float.IsFinite(EpochDecay) && EpochDecay is > 0 and <= 1, nameof(EpochDecay), "must be in (0, 1]");
    }
}
