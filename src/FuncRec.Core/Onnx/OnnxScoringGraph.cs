namespace FuncRec.Core.Onnx;

/// <summary>
/// The contract between <see cref="OnnxModelExporter"/> and the scorers that run its output: tensor names,
/// metadata keys and versions. The user's table is baked into the graph; the item side (vectors and biases of
/// the whole catalog) is a runtime input, so items added after export are scorable at once, and the user's
/// online state is an input too, so online updates apply without rebuilding the session. User-side tensors have a
/// leading batch dimension b: one run scores b users (format 2; format 1 scored one user per run).
/// </summary>
public static class OnnxScoringGraph
{
    /// <summary>Version of this contract (names, shapes, semantics); a scorer refuses other versions.</summary>
    public const int FormatVersion = 2;

    /// <summary>ONNX IR version written (IR 8 = ONNX 1.10+, read by every supported ONNX Runtime).</summary>
    public const long IrVersion = 8;

    /// <summary>Default-domain operator set the nodes are bound to.</summary>
    public const long OpsetVersion = 17;

    /// <summary>int64[b, n]: each user's encoded feature rows (padded with row 0 at weight 0); rows outside the exported table contribute nothing.</summary>
    public const string UserRows = "user_rows";

    /// <summary>float[b, n]: the weight of each row.</summary>
    public const string UserWeights = "user_weights";

    /// <summary>float[b, k]: each user's online vector, added to the feature sum.</summary>
    public const string OnlineVector = "online_vector";

    /// <summary>float[b, 1]: each user's online bias, added to the feature bias.</summary>
    public const string OnlineBias = "online_bias";

    /// <summary>float[m, k]: the vector of every catalog item.</summary>
    public const string ItemVectors = "item_vectors";

    /// <summary>float[m]: the bias of every catalog item.</summary>
    public const string ItemBiases = "item_biases";

    /// <summary>int64[b, c]: catalog indices to score for each user (each in [0, m)).</summary>
    public const string Candidates = "candidates";

    /// <summary>float[b, m]: exactly 1 where an item must not be recommended to that user, 0 elsewhere (the graph counts the ones).</summary>
    public const string Exclude = "exclude";

    /// <summary>int64[1]: how many items to recommend; 0 skips the pass over the catalog (a candidates-only call).</summary>
    public const string TopK = "top_k";

    /// <summary>float[b, c]: raw scores of each user's candidates, in candidate order.</summary>
    public const string CandidateScores = "candidate_scores";

    /// <summary>
    /// float[b, K]: each user's best raw scores over the catalog, highest first, K = min(top_k, the most items any user
    /// of the batch has not excluded) (0 when top_k ≤ 0). A user with fewer items left has their excluded items last.
    /// </summary>
    public const string TopScores = "top_scores";

    /// <summary>int64[b, K]: the catalog indices of <see cref="TopScores"/>.</summary>
    public const string TopIndices = "top_indices";

    /// <summary>Keys of the model's metadata_props.</summary>
    public static class MetadataKeys
    {
        /// <summary>The version string the exporter was given (e.g. the registry's model version).</summary>
        public const string Version = "funcrec.version";

        /// <summary><see cref="Features.FeatureSchema.Hash"/> of the model: encoded rows mean the same thing only under the same schema.</summary>
        public const string SchemaHash = "funcrec.schema_hash";

        public const string Rank = "funcrec.rank";

        /// <summary><see cref="OnnxScoringGraph.FormatVersion"/>.</summary>
        public const string FormatVersion = "funcrec.format_version";

        /// <summary>The <see cref="Model.LossKind"/> the model was trained with.</summary>
        public const string Loss = "funcrec.loss";

        /// <summary>Lowest rating a prediction is clipped to; absent for ranking models.</summary>
        public const string MinValue = "funcrec.min_value";

        /// <summary>Highest rating a prediction is clipped to; absent for ranking models.</summary>
        public const string MaxValue = "funcrec.max_value";

        /// <summary>User-table rows baked into the graph; rows at or beyond it (grown after export) are ignored.</summary>
        public const string UserRows = "funcrec.user_rows";

        /// <summary>Interactions the model had been trained on when it was exported.</summary>
        public const string TrainedEvents = "funcrec.trained_events";
    }
}
