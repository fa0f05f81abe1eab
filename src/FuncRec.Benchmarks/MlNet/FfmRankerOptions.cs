namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// How the ML.NET side is trained. The defaults are the best of a small grid run on this split (docs/benchmarks-mlnet.md
/// lists it): ML.NET's own defaults (5 iterations, rate 0.1, λ = 1e-4) leave the FFM barely above popularity, and a
/// comparison against an untuned opponent would say nothing.
/// </summary>
internal sealed record FfmRankerOptions
{
    /// <summary>FuncRec's rank in <see cref="Core.Evaluation.MovieLensQualityBenchmark.RankingOptions"/>, so both models have 32 latent dimensions.</summary>
    public int LatentDimension { get; init; } = 32;

    public int Iterations { get; init; } = 30;

    /// <summary>Initial AdaGrad rate (ML.NET's default is 0.1).</summary>
    public float LearningRate { get; init; } = 0.3f;

    /// <summary>L2 on both the linear and the latent weights (ML.NET's default is 1e-4, which overfits here).</summary>
    public float Lambda { get; init; } = 0.003f;

    /// <summary>Uniformly drawn items outside the user's training set, per training positive.</summary>
    public int NegativesPerPositive { get; init; } = 4;

    public int Seed { get; init; } = 42;

    public void Validate()
    {
        Check(LatentDimension is >= 1 and <= 256, nameof(LatentDimension), "must be between 1 and 256");
        Check(Iterations is >= 1 and <= 200, nameof(Iterations), "must be between 1 and 200");
        Check(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), "must be finite and positive");
        Check(float.IsFinite(Lambda) && Lambda >= 0, nameof(Lambda), "must be finite and not negative");
        Check(NegativesPerPositive is >= 1 and <= 100, nameof(NegativesPerPositive), "must be between 1 and 100");
    }

    private static void Check(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"FFM option {name} {rule}.", name);
        }
    }
}
