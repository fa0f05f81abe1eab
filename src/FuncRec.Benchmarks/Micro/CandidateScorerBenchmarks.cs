using BenchmarkDotNet.Attributes;
using FuncRec.Core.Evaluation;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// Top 10 of a short candidate list (drawn from a 10,000-item catalog at rank 32): scores from
/// <see cref="Serving.OnnxScorer.ScoreCandidates(Core.Features.FeatureVector, ReadOnlySpan{float}, float, Serving.ItemCatalogSnapshot, ReadOnlySpan{int}, Span{float})"/>
/// or from a C# loop over the same arrays, then the same <see cref="TopK"/> min-heap. Where ONNX Runtime's fixed
/// cost per run stops being paid back is the point of the candidate counts.
/// </summary>
[MemoryDiagnoser]
public class CandidateScorerBenchmarks
{
    private const int CatalogSize = 10_000;

    private ScoringFixture _fixture = null!;
    private int[] _candidates = null!;
    private float[] _scores = null!;

    [Params(10, 100, 1_000)]
    public int Candidates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new ScoringFixture(CatalogSize);
        var random = new Random(7);
        _candidates = Enumerable.Range(0, CatalogSize).OrderBy(_ => random.Next()).Take(Candidates).ToArray();
        _scores = new float[Candidates];
        var csharp = ScoringFixture.Ranked(_scores, CSharpLoop()).ToArray();
        var csharpScores = csharp.Select(r => (_candidates[r.Item], r.Score)).ToArray();
        var onnx = ScoringFixture.Ranked(_scores, OnnxRuntime()).Select(r => (_candidates[r.Item], r.Score)).ToArray();
        ScoringFixture.CheckSameRanking(csharpScores, onnx);
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    /// <summary>Positions in the candidate list of the best 10.</summary>
    [Benchmark(Baseline = true)]
    public int[] CSharpLoop()
    {
        _fixture.ScoreWithCSharp(_candidates, _scores);
        return TopK.Select(_scores, ScoringFixture.K);
    }

    [Benchmark]
    public int[] OnnxRuntime()
    {
        _fixture.Scorer.ScoreCandidates(_fixture.User, [], 0f, _fixture.Snapshot, _candidates, _scores);
        return TopK.Select(_scores, ScoringFixture.K);
    }
}
