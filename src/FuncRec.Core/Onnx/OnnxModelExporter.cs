using System.Globalization;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx.Proto;
using Google.Protobuf;
using DataType = FuncRec.Core.Onnx.Proto.TensorProto.Types.DataType;
using G = FuncRec.Core.Onnx.OnnxScoringGraph;

namespace FuncRec.Core.Onnx;

/// <summary>
/// Writes a fitted <see cref="RecommenderModel"/> as a self-contained ONNX graph that computes the score
/// itself (see <see cref="OnnxScoringGraph"/> for the contract):
/// <code>
/// for each user u of the batch:
/// p_u = Σ_f x_uf E_u[f] + online_vector[u]          b_u = Σ_f x_uf β_u[f] + online_bias[u]
/// candidate_scores[u, j] = μ + b_u + item_biases[c_uj] + item_vectors[c_uj] · p_u
/// top_scores[u], top_indices[u] = TopK over all items not excluded for u of μ + b_u + item_biases + item_vectors · p_u
/// </code>
/// Only the user side is baked in: the catalog's item vectors and biases are inputs the scorer maintains.
/// Scores are raw (not clipped to the rating range): callers clip, e.g. with <see cref="RecommenderModel.Clip"/>.
/// </summary>
public static class OnnxModelExporter
{
    private const string UserTable = "user_table";
    private const string UserBiases = "user_biases";
    private const string GlobalMean = "global_mean";

    /// <summary>The model as .onnx bytes, stamped with <paramref name="version"/> and the model's schema hash.</summary>
    public static byte[] Export(RecommenderModel model, string version) => BuildModel(model, version).ToByteArray();

    /// <summary>Writes the model as .onnx to <paramref name="destination"/>.</summary>
    public static void Export(RecommenderModel model, string version, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        BuildModel(model, version).WriteTo(destination);
    }

    private static ModelProto BuildModel(RecommenderModel model, string version)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        model.EnsureFitted();

        var onnx = new ModelProto
        {
            IrVersion = G.IrVersion,
            ProducerName = "FuncRec",
            ProducerVersion = typeof(OnnxModelExporter).Assembly.GetName().Version?.ToString() ?? "0",
            Domain = "funcrec",
            DocString = "FuncRec factorised recommender: score = μ + b_u + b_i + p·q; item side supplied at run time.",
            Graph = BuildGraph(model),
        };
        onnx.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = G.OpsetVersion });
        foreach (var (key, value) in Metadata(model, version))
        {
            onnx.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return onnx;
    }

    private static IEnumerable<(string Key, string Value)> Metadata(RecommenderModel model, string version)
    {
        var invariant = CultureInfo.InvariantCulture;
        yield return (G.MetadataKeys.Version, version);
        yield return (G.MetadataKeys.SchemaHash, model.Schema.Hash);
        yield return (G.MetadataKeys.Rank, model.Rank.ToString(invariant));
        yield return (G.MetadataKeys.FormatVersion, G.FormatVersion.ToString(invariant));
        yield return (G.MetadataKeys.Loss, model.Loss.ToString());
        yield return (G.MetadataKeys.UserRows, model.UserTable.Rows.ToString(invariant));
        yield return (G.MetadataKeys.TrainedEvents, model.TrainedEvents.ToString(invariant));
        if (model.MinValue is { } min)
        {
            yield return (G.MetadataKeys.MinValue, min.ToString("R", invariant));
        }

        if (model.MaxValue is { } max)
        {
            yield return (G.MetadataKeys.MaxValue, max.ToString("R", invariant));
        }
    }

    private static GraphProto BuildGraph(RecommenderModel model)
    {
        var rank = model.Rank;
        var rows = model.UserTable.Rows;
        var g = new OnnxGraphBuilder("funcrec_scorer");

        // Every user-side input has a leading batch dimension b: one run scores several users against the catalog,
        // which reads the item vectors once for all of them.
        g.Input(G.UserRows, DataType.Int64, "b", "n");
        g.Input(G.UserWeights, DataType.Float, "b", "n");
        g.Input(G.OnlineVector, DataType.Float, "b", rank);
        g.Input(G.OnlineBias, DataType.Float, "b", 1);
        g.Input(G.ItemVectors, DataType.Float, "m", rank);
        g.Input(G.ItemBiases, DataType.Float, "m");
        g.Input(G.Candidates, DataType.Int64, "b", "c");
        g.Input(G.Exclude, DataType.Float, "b", "m");
        g.Input(G.TopK, DataType.Int64, 1);

        // A model whose user side has no rows still gets one zero row, so the masked gather below stays in
        // bounds; the row count used for masking is the real one, so that row is never weighted in.
        var tableRows = Math.Max(rows, 1);
        g.Initializer(UserTable, rows > 0 ? model.UserTable.AllVectors : new float[rank], tableRows, rank);
        g.Initializer(UserBiases, rows > 0 ? model.UserTable.AllBiases : new float[1], tableRows, 1);
        g.Initializer(GlobalMean, [model.GlobalMean], 1);
        g.Initializer("user_row_count", [(long)rows]);
        g.Initializer("zero_index", [0L]);
        g.Initializer("zero_count", [0L], 1);
        g.Initializer("zero_weight", [0f]);
        g.Initializer("minus_largest", [-float.MaxValue]);
        g.Initializer("axis_1", [1L], 1);
        g.Initializer("axis_2", [2L], 1);
        g.Initializer("vector_shape", [-1L, rank], 2);
        g.Initializer("column_shape", [-1L, 1L], 2);
        g.Initializer("no_scores", ReadOnlySpan<float>.Empty, 0, 0);
        g.Initializer("no_indices", ReadOnlySpan<long>.Empty, 0, 0);

        // Rows outside [0, rows) are features the exported table does not have (the space grew after export, or
        // a caller's mistake): like the C# model, they count for nothing, instead of failing or wrapping around.
        g.Node("GreaterOrEqual", "row_not_negative", G.UserRows, "zero_index");
        g.Node("Less", "row_below_count", G.UserRows, "user_row_count");
        g.Node("And", "row_known", "row_not_negative", "row_below_count");
        g.Node("Where", "safe_rows", "row_known", G.UserRows, "zero_index");
        g.Node("Where", "safe_weights", "row_known", G.UserWeights, "zero_weight");

        // Per user: p = wᵀ E_u[rows] + online vector, as rows of [b, k]; offset = μ + wᵀ β_u[rows] + online bias, as [b, 1].
        g.Node("Gather", [UserTable, "safe_rows"], ["row_vectors"], OnnxGraphBuilder.Attribute("axis", 0));
        g.Node("Gather", [UserBiases, "safe_rows"], ["row_biases"], OnnxGraphBuilder.Attribute("axis", 0));
        g.Node("Unsqueeze", "weight_rows", "safe_weights", "axis_1");
        g.Node("MatMul", "feature_vectors", "weight_rows", "row_vectors");
        g.Node("Reshape", "feature_vector_rows", "feature_vectors", "vector_shape");
        g.Node("Add", "user_vectors", "feature_vector_rows", G.OnlineVector);
        g.Node("MatMul", "feature_biases", "weight_rows", "row_biases");
        g.Node("Reshape", "feature_bias_column", "feature_biases", "column_shape");
        g.Node("Add", "user_bias_column", "feature_bias_column", G.OnlineBias);
        g.Node("Add", "score_offsets", "user_bias_column", GlobalMean);

        // Candidates are scored from their gathered rows only, so scoring a few items costs little at any catalog size.
        g.Node("Gather", [G.ItemVectors, G.Candidates], ["candidate_vectors"], OnnxGraphBuilder.Attribute("axis", 0));
        g.Node("Gather", [G.ItemBiases, G.Candidates], ["candidate_biases"], OnnxGraphBuilder.Attribute("axis", 0));
        g.Node("Unsqueeze", "user_columns", "user_vectors", "axis_2");
        g.Node("MatMul", "candidate_dots", "candidate_vectors", "user_columns");
        g.Node("Squeeze", "candidate_dot_rows", "candidate_dots", "axis_2");
        g.Node("Add", "candidate_shifted", "candidate_dot_rows", "score_offsets");
        g.Node("Add", G.CandidateScores, "candidate_shifted", "candidate_biases");

        // Top-k over the whole catalog, only when asked for (top_k > 0): ONNX Runtime runs every node of a graph
        // whatever outputs are requested, and the catalog pass is most of the cost, so candidate-only calls skip it.
        g.Node("Greater", "wants_top", G.TopK, "zero_count");
        g.Node("If", ["wants_top"], [G.TopScores, G.TopIndices], OnnxGraphBuilder.Attribute("then_branch", RankCatalog()), OnnxGraphBuilder.Attribute("else_branch", RankNothing()));

        g.Output(G.CandidateScores, DataType.Float, "b", "c");
        g.Output(G.TopScores, DataType.Float, "b", "K");
        g.Output(G.TopIndices, DataType.Int64, "b", "K");
        return g.Graph;
    }

    /// <summary>
    /// Each user's catalog scores and their top K. An excluded item's score is pushed down by the largest float (a
    /// multiply-add: cheaper than a compare-and-select over the catalog), and K is capped at the most items any
    /// user of the batch has left, so a top_k larger than the catalog is not an error. A user with fewer items left
    /// than K gets their excluded items last, below every real score; the scorer reads only as many as they have left.
    /// </summary>
    private static GraphProto RankCatalog()
    {
        var g = new OnnxGraphBuilder("rank_catalog");

        // Gemm with the item matrix transposed: [b, k] × [k, m], the item biases added as its C term.
        g.Node("Gemm", ["user_vectors", G.ItemVectors, G.ItemBiases], ["catalog_biased"], OnnxGraphBuilder.Attribute("transB", 1));
        g.Node("Add", "catalog_scores", "catalog_biased", "score_offsets");
        g.Node("Mul", "exclusion_penalty", G.Exclude, "minus_largest");
        g.Node("Add", "eligible_scores", "catalog_scores", "exclusion_penalty");
        g.Node("ReduceSum", [G.Exclude, "axis_1"], ["excluded_per_user"], OnnxGraphBuilder.Attribute("keepdims", 0));
        g.Node("ReduceMin", ["excluded_per_user"], ["fewest_excluded"], OnnxGraphBuilder.Attribute("keepdims", 1));
        g.Node("Cast", ["fewest_excluded"], ["fewest_excluded_count"], OnnxGraphBuilder.Attribute("to", (long)DataType.Int64));
        g.Node("Shape", "catalog_size", G.ItemBiases);
        g.Node("Sub", "most_eligible", "catalog_size", "fewest_excluded_count");
        g.Node("Min", "k", G.TopK, "most_eligible");
        g.Node(
            "TopK",
            ["eligible_scores", "k"],
            ["ranked_scores", "ranked_indices"],
            OnnxGraphBuilder.Attribute("axis", -1),
            OnnxGraphBuilder.Attribute("largest", 1),
            OnnxGraphBuilder.Attribute("sorted", 1));
        g.Output("ranked_scores", DataType.Float, "b", "K");
        g.Output("ranked_indices", DataType.Int64, "b", "K");
        return g.Graph;
    }

    /// <summary>Empty top-k outputs for calls that want candidate scores only.</summary>
    private static GraphProto RankNothing()
    {
        var g = new OnnxGraphBuilder("rank_nothing");
        g.Node("Identity", "unranked_scores", "no_scores");
        g.Node("Identity", "unranked_indices", "no_indices");
        g.Output("unranked_scores", DataType.Float, 0, 0);
        g.Output("unranked_indices", DataType.Int64, 0, 0);
        return g.Graph;
    }
}
