using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FuncRec.Serving;

/// <summary>
/// Scores users against an <see cref="ItemCatalog"/> by running a graph from <see cref="OnnxModelExporter"/>
/// in ONNX Runtime: scores of given candidates, or the top k of the whole catalog with exclusions. The user
/// arrives as encoded rows plus online state, the items as the catalog snapshot's arrays, bound in place;
/// nothing per request rebuilds the session.
/// <para>
/// Scores are raw (μ + b_u + b_i + p·q), never clipped: for rating models the caller clips what it shows,
/// e.g. with <see cref="RecommenderModel.Clip"/> or <see cref="OnnxModelInfo.MinValue"/>/<see cref="OnnxModelInfo.MaxValue"/>.
/// </para>
/// <para>
/// Thread-safe: concurrent calls share one session and each take a pooled <see cref="ScoringContext"/> (pinned
/// buffers, tensors, I/O binding). <see cref="Dispose"/> refuses new calls at once and frees the session when
/// the calls in flight have finished, so a host can swap scorers under load.
/// </para>
/// </summary>
public sealed class OnnxScorer : IDisposable
{
    private static readonly string[] ExpectedInputs =
    [
        OnnxScoringGraph.UserRows, OnnxScoringGraph.UserWeights, OnnxScoringGraph.OnlineVector, OnnxScoringGraph.OnlineBias,
        OnnxScoringGraph.ItemVectors, OnnxScoringGraph.ItemBiases, OnnxScoringGraph.Candidates, OnnxScoringGraph.Exclude,
        OnnxScoringGraph.TopK,
    ];

    private static readonly string[] ExpectedOutputs = [OnnxScoringGraph.CandidateScores, OnnxScoringGraph.TopScores, OnnxScoringGraph.TopIndices];

    private readonly InferenceSession _session;
    private readonly Lock _poolLock = new();
    private readonly Stack<ScoringContext> _idle = new();
    private readonly int _maxIdle;
    private int _activeCalls;
    private int _disposed;
    private int _released;

    /// <summary>Loads <paramref name="onnxModel"/> and checks that it serves <paramref name="model"/> (same rank and feature schema).</summary>
    /// <exception cref="IncompatibleOnnxModelException">The bytes are not a FuncRec scoring graph of this format version, or were exported from a model of another rank or schema.</exception>
    public OnnxScorer(byte[] onnxModel, RecommenderModel model, OnnxScorerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxScorerOptions();
        options.Validate();
        Model = model;
        _maxIdle = options.MaxIdleContexts;

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = options.OptimizationLevel,
        };
        try
        {
            _session = new InferenceSession(onnxModel, sessionOptions);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new IncompatibleOnnxModelException($"The bytes are not a loadable ONNX model: {exception.Message}", exception);
        }

        try
        {
            Info = OnnxModelInfo.Read(_session.ModelMetadata.CustomMetadataMap);
            CheckServes(Info, model, _session);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>The exported model's metadata: version, schema hash, rank, loss, rating range.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>The model this scorer serves: users must be encoded with its encoder, catalogs built from it.</summary>
    public RecommenderModel Model { get; }

    public int Rank => Info.Rank;

    /// <summary>
    /// Raw scores of the catalog items at <paramref name="candidates"/>, written to <paramref name="scores"/> in
    /// candidate order. The user is <paramref name="user"/>'s rows (encoded by <see cref="Model"/>'s encoder:
    /// profile, behaviour, context) plus the online vector (empty = zeros) and bias.
    /// </summary>
    public void ScoreCandidates(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, ReadOnlySpan<int> candidates, Span<float> scores)
    {
        CheckUser(user, onlineVector);
        CheckCatalog(catalog);
        if (scores.Length < candidates.Length)
        {
            throw new ArgumentException($"The score buffer holds {scores.Length} values for {candidates.Length} candidates.", nameof(scores));
        }

        foreach (var candidate in candidates)
        {
            if ((uint)candidate >= (uint)catalog.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(candidates), candidate, $"Candidate index outside the catalog snapshot of {catalog.Count} items.");
            }
        }

        if (candidates.IsEmpty)
        {
            return;
        }

        var context = Rent();
        try
        {
            context.ScoreCandidates(user, onlineVector, onlineBias, catalog, candidates, scores);
        }
        finally
        {
            Return(context);
        }
    }

    /// <summary>Raw scores of the catalog items at <paramref name="candidates"/>, in candidate order.</summary>
    public float[] ScoreCandidates(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, ReadOnlySpan<int> candidates)
    {
        var scores = new float[candidates.Length];
        ScoreCandidates(user, onlineVector, onlineBias, catalog, candidates, scores);
        return scores;
    }

    /// <summary>
    /// The <paramref name="k"/> best items of the catalog for the user, highest raw score first, leaving out
    /// <paramref name="excluded"/> (catalog indices; those outside the snapshot are ignored) and, with
    /// <paramref name="category"/>, every item not in that category (needs <see cref="ItemCatalogOptions.CategoryField"/>).
    /// Fewer than k come back when fewer items are left.
    /// </summary>
    public ScoredItem[] TopK(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, int k, ReadOnlySpan<int> excluded = default, string? category = null)
    {
        CheckUser(user, onlineVector);
        CheckCatalog(catalog);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var capacity = Math.Min(k, catalog.Count);
        if (capacity == 0)
        {
            return [];
        }

        var indices = new int[capacity];
        var scores = new float[capacity];
        int found;
        var context = Rent();
        try
        {
            found = context.TopK(user, onlineVector, onlineBias, catalog, capacity, excluded, category, indices, scores);
        }
        finally
        {
            Return(context);
        }

        var result = new ScoredItem[found];
        for (var i = 0; i < found; i++)
        {
            result[i] = new ScoredItem(indices[i], catalog.IdAt(indices[i]), scores[i]);
        }

        return result;
    }

    /// <summary>Refuses new calls; the session is freed now, or when the last call in flight ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _activeCalls) == 0)
        {
            Release();
        }
    }

    private static void CheckServes(OnnxModelInfo info, RecommenderModel model, InferenceSession session)
    {
        if (info.FormatVersion != OnnxScoringGraph.FormatVersion)
        {
            throw new IncompatibleOnnxModelException($"The ONNX model uses scoring-graph format {info.FormatVersion}; this scorer reads format {OnnxScoringGraph.FormatVersion}. Re-export the model.");
        }

        if (info.Rank != model.Rank)
        {
            throw new IncompatibleOnnxModelException($"The ONNX model has rank {info.Rank} but the model it should serve has rank {model.Rank}.");
        }

        if (!string.Equals(info.SchemaHash, model.Schema.Hash, StringComparison.Ordinal))
        {
            throw new IncompatibleOnnxModelException($"The ONNX model was exported under feature schema {info.SchemaHash} but the model it should serve uses schema {model.Schema.Hash}: its encoded rows would mean other features.");
        }

        var missing = ExpectedInputs.Where(name => !session.InputMetadata.ContainsKey(name))
            .Concat(ExpectedOutputs.Where(name => !session.OutputMetadata.ContainsKey(name)))
            .ToArray();
        if (missing.Length > 0)
        {
            throw new IncompatibleOnnxModelException($"The ONNX model lacks the scoring graph's tensors: {string.Join(", ", missing)}.");
        }
    }

    private void CheckUser(FeatureVector user, ReadOnlySpan<float> onlineVector)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!onlineVector.IsEmpty && onlineVector.Length != Rank)
        {
            throw new ArgumentException($"The online vector has {onlineVector.Length} values; the model's rank is {Rank} (or pass an empty vector).", nameof(onlineVector));
        }
    }

    private void CheckCatalog(ItemCatalogSnapshot catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!ReferenceEquals(catalog.Model, Model))
        {
            // Item vectors from another model's item table would be dotted with this model's user vectors.
            throw new ArgumentException("The catalog was built from another model than the one this scorer serves.", nameof(catalog));
        }
    }

    private ScoringContext Rent()
    {
        Interlocked.Increment(ref _activeCalls);
        if (Volatile.Read(ref _disposed) != 0)
        {
            EndCall();
            throw new ObjectDisposedException(nameof(OnnxScorer));
        }

        lock (_poolLock)
        {
            if (_idle.TryPop(out var context))
            {
                return context;
            }
        }

        try
        {
            return new ScoringContext(_session, Rank);
        }
        catch
        {
            EndCall();
            throw;
        }
    }

    private void Return(ScoringContext context)
    {
        var keep = false;
        lock (_poolLock)
        {
            if (Volatile.Read(ref _disposed) == 0 && _idle.Count < _maxIdle)
            {
                _idle.Push(context);
                keep = true;
            }
        }

        if (!keep)
        {
            context.Dispose();
        }

        EndCall();
    }

    private void EndCall()
    {
        if (Interlocked.Decrement(ref _activeCalls) == 0 && Volatile.Read(ref _disposed) != 0)
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        lock (_poolLock)
        {
            while (_idle.TryPop(out var context))
            {
                context.Dispose();
            }
        }

        _session.Dispose();
    }
}
