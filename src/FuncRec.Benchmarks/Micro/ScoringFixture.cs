using System.Numerics.Tensors;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Onnx;
using FuncRec.Serving;

namespace FuncRec.Benchmarks.Micro;

/// <summary>
/// One rank-32 model, its item catalog, an <see cref="OnnxScorer"/> over it (default options: one intra-op
/// thread), and the same catalog's vectors and biases copied into plain arrays for the C# loop; plus a request
/// user (five profile fields, 50 behaviour items). Both paths compute μ + b_u + b_i + p·q from the same user rows.
/// </summary>
internal sealed class ScoringFixture : IDisposable
{
    public const int Rank = 32;
    public const int K = 10;
    public const int BehaviourItems = 50;

    private readonly float[] _userVector = new float[Rank];

    public ScoringFixture(int catalogSize)
    {
        var recommender = new SyntheticRecommender(users: 500, items: catalogSize, interactions: 4 * catalogSize, rank: Rank);
        var model = recommender.Model;
        var catalog = new ItemCatalog(model, new ItemCatalogOptions { InitialCapacity = catalogSize });
        Snapshot = catalog.UpsertMany(recommender.Items.Profiles);
        Scorer = new OnnxScorer(OnnxModelExporter.Export(model, "benchmark"), model);
        ItemVectors = new float[Snapshot.Count * Rank];
        ItemBiases = new float[Snapshot.Count];
        for (var i = 0; i < Snapshot.Count; i++)
        {
            Snapshot.VectorOf(i).CopyTo(ItemVectors.AsSpan(i * Rank, Rank));
            ItemBiases[i] = Snapshot.BiasOf(i);
        }

        User = recommender.RequestUser(BehaviourItems);
    }

    public ItemCatalogSnapshot Snapshot { get; }

    public OnnxScorer Scorer { get; }

    public FeatureVector User { get; }

    /// <summary>q of every item, row-major, copied from the snapshot.</summary>
    public float[] ItemVectors { get; }

    public float[] ItemBiases { get; }

    /// <summary>p and b_u from the user's rows, then μ + b_u + b_i + p·q for each of <paramref name="items"/> (all items when empty) into <paramref name="scores"/>.</summary>
    public void ScoreWithCSharp(ReadOnlySpan<int> items, Span<float> scores)
    {
        var model = Snapshot.Model;
        model.UserVector(User, _userVector, out var userBias);
        var constant = model.GlobalMean + userBias;
        ReadOnlySpan<float> p = _userVector;
        if (items.IsEmpty)
        {
            for (var i = 0; i < Snapshot.Count; i++)
            {
                scores[i] = constant + ItemBiases[i] + TensorPrimitives.Dot(p, ItemVectors.AsSpan(i * Rank, Rank));
            }

            return;
        }

        for (var j = 0; j < items.Length; j++)
        {
            var item = items[j];
            scores[j] = constant + ItemBiases[item] + TensorPrimitives.Dot(p, ItemVectors.AsSpan(item * Rank, Rank));
        }
    }

    /// <summary>
    /// Fails unless both paths rank the same items with the same scores (to float rounding), so the timings compare
    /// equal work. Scores rather than indices are compared: a near tie may be ordered differently by the two
    /// summation orders, and that is not a disagreement.
    /// </summary>
    public static void CheckSameRanking(IReadOnlyList<(int Item, float Score)> csharp, IReadOnlyList<(int Item, float Score)> onnx)
    {
        if (csharp.Count != onnx.Count)
        {
            throw new InvalidOperationException($"The C# loop returned {csharp.Count} items and ONNX Runtime {onnx.Count}.");
        }

        for (var i = 0; i < csharp.Count; i++)
        {
            var tolerance = 1e-4f * Math.Max(1f, Math.Abs(csharp[i].Score));
            if (Math.Abs(csharp[i].Score - onnx[i].Score) > tolerance)
            {
                throw new InvalidOperationException($"At rank {i + 1} the C# loop has item {csharp[i].Item} scoring {csharp[i].Score} and ONNX Runtime item {onnx[i].Item} scoring {onnx[i].Score}.");
            }
        }
    }

    /// <summary>The top k of <paramref name="scores"/> with the TopK min-heap, as (position, score).</summary>
    public static (int Item, float Score)[] Ranked(ReadOnlySpan<float> scores, int[] top)
    {
        var ranked = new (int, float)[top.Length];
        for (var i = 0; i < top.Length; i++)
        {
            ranked[i] = (top[i], scores[top[i]]);
        }

        return ranked;
    }

    public void Dispose() => Scorer.Dispose();
}
