using BenchmarkDotNet.Attributes;
using FuncRec.Core.Evaluation;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// Top 10 of a whole 10,000-item catalog at rank 32 for one request user: <see cref="Serving.OnnxScorer.TopK"/>
/// (the graph scores and selects) against a C# loop over the same arrays (dot products, then the
/// <see cref="TopK"/> min-heap). Each call computes the user's vector from their rows too, as serving does.
/// </summary>
[MemoryDiagnoser]
public class FullCatalogScorerBenchmarks
{
    private const int CatalogSize = 10_000;

    private ScoringFixture _fixture = null!;
    private float[] _scores = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new ScoringFixture(CatalogSize);
        _scores = new float[CatalogSize];
        var csharp = ScoringFixture.Ranked(_scores, CSharpLoop());
        var onnx = _fixture.Scorer.TopK(_fixture.User, [], 0f, _fixture.Snapshot, ScoringFixture.K).Select(s => (s.Index, s.Score)).ToArray();
        ScoringFixture.CheckSameRanking(csharp, onnx);
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    [Benchmark(Baseline = true)]
    public int[] CSharpLoop()
    {
        _fixture.ScoreWithCSharp([], _scores);
        return TopK.Select(_scores, ScoringFixture.K);
    }

    [Benchmark]
    public Serving.ScoredItem[] OnnxRuntime() => _fixture.Scorer.TopK(_fixture.User, [], 0f, _fixture.Snapshot, ScoringFixture.K);
}
