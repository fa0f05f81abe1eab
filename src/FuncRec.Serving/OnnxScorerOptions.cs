using Microsoft.ML.OnnxRuntime;

namespace FuncRec.Serving;

/// <summary>How an <see cref="OnnxScorer"/> runs its session; checked by <see cref="Validate"/>.</summary>
public sealed record OnnxScorerOptions
{
    /// <summary>
    /// Threads one Run may use. 1 by default: a second thread pays only around 10,000 candidates and causes
    /// millisecond stalls when the other core is busy, and concurrency comes from concurrent requests anyway.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Graph rewrites ONNX Runtime applies when the session is created.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Idle per-call scoring contexts (pinned buffers and tensors) kept for reuse; more concurrent callers than
    /// this still work, their extra contexts are freed afterwards.
    /// </summary>
    public int MaxIdleContexts { get; init; } = Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>
    /// Most top-k calls one run of <see cref="OnnxScorer.TopKAsync"/> scores together. A run reads the catalog's
    /// vectors once for all its users: at 10,000 items and rank 32, ~55 µs per user alone, ~38 µs in fours, ~30 µs
    /// in eights and ~24 µs in sixteens (docs/benchmarks.md).
    /// </summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>Runs of <see cref="OnnxScorer.TopKAsync"/> at once; calls that arrive while all are busy wait for the next.</summary>
    public int ConcurrentRuns { get; init; } = Environment.ProcessorCount;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (IntraOpThreads is < 1 or > 256)
        {
            throw new ArgumentException("ONNX scorer option IntraOpThreads must be between 1 and 256.", nameof(IntraOpThreads));
        }

        if (!Enum.IsDefined(OptimizationLevel))
        {
            throw new ArgumentException("ONNX scorer option OptimizationLevel is not a defined level.", nameof(OptimizationLevel));
        }

        if (MaxBatchSize is < 1 or > 1024)
        {
            throw new ArgumentException("ONNX scorer option MaxBatchSize must be between 1 and 1024.", nameof(MaxBatchSize));
        }

        if (ConcurrentRuns is < 1 or > 1024)
        {
            throw new ArgumentException("ONNX scorer option ConcurrentRuns must be between 1 and 1024.", nameof(ConcurrentRuns));
        }

        if (MaxIdleContexts is < 0 or > 4096)
        {
            throw new ArgumentException("ONNX scorer option MaxIdleContexts must be between 0 and 4096.", nameof(MaxIdleContexts));
        }
    }
}
