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
/// Thread-safe: concurrent calls share one session and each run takes a pooled <see cref="ScoringContext"/> (pinned
/// buffers, tensors, I/O binding); <see cref="TopKAsync"/> batches concurrent top-k calls into shared runs.
/// <see cref="Dispose"/> refuses new calls at once and frees the session when the calls in flight have finished, so a
/// host can swap scorers under load.
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
    /// <summary>Users × catalog items one batched run may cover: 16 users at 262,144 items (4 MB per float matrix).</summary>
    private const int MaxBatchCells = 1 << 22;

    private readonly Lock _batchLock = new();
    private readonly List<TopKCall> _waiting = [];
    private readonly int _maxBatch;
    private readonly int _concurrentRuns;
    private readonly int _secondRunBacklog;
    private int _runs;
    private long _batchedRuns;
    private long _batchedCalls;
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
        _maxBatch = options.MaxBatchSize;
        _concurrentRuns = options.ConcurrentRuns;
        _secondRunBacklog = Math.Max(2, _maxBatch / 2);

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

    /// <summary>Runs made for <see cref="TopKAsync"/> calls; with <see cref="BatchedCalls"/>, the mean batch size.</summary>
    public long BatchedRuns => Interlocked.Read(ref _batchedRuns);

    /// <summary><see cref="TopKAsync"/> calls scored so far.</summary>
    public long BatchedCalls => Interlocked.Read(ref _batchedCalls);

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
        catch
        {
            Discard(context);
            throw;
        }

        Return(context);
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
    /// Fewer than k come back when fewer items are left. Runs at once on the calling thread, alone; concurrent
    /// callers that can wait should use <see cref="TopKAsync"/>, which batches them.
    /// </summary>
    public ScoredItem[] TopK(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, int k, ReadOnlySpan<int> excluded = default, string? category = null)
    {
        if (Prepare(user, onlineVector.ToArray(), onlineBias, catalog, k, excluded.ToArray(), category) is not { } call)
        {
            return [];
        }

        var context = Rent();
        ScoredItem[] result;
        try
        {
            result = context.TopK([call], catalog, call.K)[0];
        }
        catch
        {
            Discard(context);
            throw;
        }

        Return(context);
        return result;
    }

    /// <summary>
    /// <see cref="TopK"/> for callers that run concurrently: calls that arrive while <see cref="OnnxScorerOptions.ConcurrentRuns"/>
    /// runs are under way wait, and the next run scores up to <see cref="OnnxScorerOptions.MaxBatchSize"/> of them
    /// at once, reading the catalog once for all (several times cheaper per user than one run each). A call that
    /// finds a run slot free runs at once on its own thread, with whatever calls are waiting.
    /// <paramref name="onlineVector"/> and <paramref name="excluded"/> must not change until the task completes.
    /// </summary>
    public Task<ScoredItem[]> TopKAsync(FeatureVector user, ReadOnlyMemory<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, int k, int[]? excluded = null, string? category = null, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<ScoredItem[]>(cancellationToken);
        }

        if (Prepare(user, onlineVector, onlineBias, catalog, k, excluded ?? [], category) is not { } call)
        {
            return Task.FromResult<ScoredItem[]>([]);
        }

        // A waiting call is a call in flight: Dispose frees the session only after it has been answered.
        BeginCall();
        bool leads;
        lock (_batchLock)
        {
            _waiting.Add(call);

            // A call runs at once when no run is under way, or when a slot is free and the thread pool has fewer
            // items queued than there are slots (threads to spare). Otherwise the cores are busy anyway: the call
            // waits for the run under way and joins the next batch, unless half a batch is already waiting. Waiting
            // whenever one run is under way gathered larger batches but serialised the scoring at low concurrency
            // (8 connections: 6,200 requests/s against 9,900 without batching; docs/benchmarks.md).
            leads = _runs == 0
                || (_runs < _concurrentRuns && (_waiting.Count >= _secondRunBacklog || ThreadPool.PendingWorkItemCount < _concurrentRuns));
            if (leads)
            {
                _runs++;
            }
        }

        if (leads)
        {
            RunBatch(call);
        }
        else if (cancellationToken.CanBeCanceled)
        {
            // A caller that gives up (a client gone, a timeout) while its call waits takes it out of the queue, so
            // an overloaded server does not score answers nobody reads. Once in a run, the call finishes.
            call.Watch(cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (scorer, waiting) = ((OnnxScorer, TopKCall))state!;
                scorer.Withdraw(waiting, token);
            }, (this, call)));
        }

        return call.Task;
    }

    /// <summary>Takes a cancelled call out of the queue if no run has taken it yet, and answers it as cancelled.</summary>
    private void Withdraw(TopKCall call, CancellationToken cancellationToken)
    {
        bool removed;
        lock (_batchLock)
        {
            removed = _waiting.Remove(call);
        }

        if (removed)
        {
            call.Cancel(cancellationToken);
            EndCall();
        }
    }

    /// <summary>
    /// Takes every run slot until disposed, so that <see cref="TopKAsync"/> calls queue meanwhile; on release they run
    /// in batches. For tests, which cannot otherwise make calls meet while a run is under way. No runs may be under way.
    /// </summary>
    internal IDisposable HoldRuns()
    {
        lock (_batchLock)
        {
            if (_runs != 0)
            {
                throw new InvalidOperationException("Runs are under way.");
            }

            _runs = _concurrentRuns;
        }

        return new RunHold(this);
    }

    private sealed class RunHold(OnnxScorer scorer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            bool run;
            lock (scorer._batchLock)
            {
                scorer._runs = 0;
                run = scorer._waiting.Count > 0;
                if (run)
                {
                    scorer._runs = 1;
                }
            }

            if (run)
            {
                scorer.RunBatch(null);
            }
        }
    }

    /// <summary>Checks a top-k request; null when nothing can come back (k or the catalog is 0).</summary>
    private TopKCall? Prepare(FeatureVector user, ReadOnlyMemory<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, int k, int[] excluded, string? category)
    {
        CheckUser(user, onlineVector.Span);
        CheckCatalog(catalog);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var capacity = Math.Min(k, catalog.Count);
        return capacity == 0 ? null : new TopKCall(user, onlineVector, onlineBias, catalog, capacity, excluded, category);
    }

    /// <summary>
    /// Runs one batch: <paramref name="own"/> (when still waiting) and the oldest waiting calls for the same snapshot,
    /// whatever their k (the run takes the largest). Afterwards the run slot goes to a thread-pool item if calls are still waiting, so the caller leading
    /// this batch answers its own request after one run, and no waiting call is left without a runner.
    /// </summary>
    private void RunBatch(TopKCall? own)
    {
        List<TopKCall> batch;
        lock (_batchLock)
        {
            batch = TakeBatch(own);
        }

        try
        {
            if (batch.Count > 0)
            {
                Execute(batch);
            }
        }
        finally
        {
            bool more;
            lock (_batchLock)
            {
                more = _waiting.Count > 0;
                if (!more)
                {
                    _runs--;
                }
            }

            if (more)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static scorer => scorer.RunBatch(null), this, preferLocal: false);
            }
        }
    }

    private List<TopKCall> TakeBatch(TopKCall? own)
    {
        var batch = new List<TopKCall>(Math.Min(_waiting.Count, _maxBatch));
        if (_waiting.Count == 0)
        {
            return batch;
        }

        var first = own is not null && _waiting.Remove(own) ? own : TakeAt(0);
        batch.Add(first);

        // A run holds a catalog-sized exclusion row and score row per user: large catalogs take smaller batches.
        var most = Math.Clamp(MaxBatchCells / Math.Max(1, first.Catalog.Count), 1, _maxBatch);
        for (var i = 0; i < _waiting.Count && batch.Count < most;)
        {
            var call = _waiting[i];
            // Any k: the run takes the largest, and each call keeps its own first k (a top-k list's head is the top
            // of a shorter one, ties broken by index either way).
            if (ReferenceEquals(call.Catalog, first.Catalog))
            {
                batch.Add(call);
                _waiting.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }

        return batch;
    }

    private TopKCall TakeAt(int index)
    {
        var call = _waiting[index];
        _waiting.RemoveAt(index);
        return call;
    }

    /// <summary>Scores a batch and completes its calls; a failure fails every call of the batch, never the runner.</summary>
    private void Execute(List<TopKCall> batch)
    {
        try
        {
            // Each call of the batch was counted in flight when it was queued, so the session is still there even
            // if the scorer was disposed meanwhile: the calls are answered, and the last one's end frees it.
            ScoredItem[][] results;
            var context = TakeContext();
            try
            {
                results = context.TopK(batch, batch[0].Catalog, batch.Max(call => call.K));
            }
            catch
            {
                // Its bindings may be half made: freed, not pooled.
                context.Dispose();
                throw;
            }

            Recycle(context);
            Interlocked.Increment(ref _batchedRuns);
            Interlocked.Add(ref _batchedCalls, batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Complete(results[i]);
            }
        }
        catch (Exception exception)
        {
            batch.ForEach(call => call.Fail(exception));
        }
        finally
        {
            batch.ForEach(_ => EndCall());
        }
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
            throw new IncompatibleOnnxModelException($"The ONNX model uses scoring-graph format {info.FormatVersion}; this scorer reads format {OnnxScoringGraph.FormatVersion}. Re-export the model.")
            {
                OlderFormat = info.FormatVersion < OnnxScoringGraph.FormatVersion,
            };
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

    /// <summary>Counts a call in flight, or refuses it once the scorer is disposed.</summary>
    private void BeginCall()
    {
        Interlocked.Increment(ref _activeCalls);
        if (Volatile.Read(ref _disposed) != 0)
        {
            EndCall();
            throw new ObjectDisposedException(nameof(OnnxScorer));
        }
    }

    private ScoringContext Rent()
    {
        BeginCall();
        try
        {
            return TakeContext();
        }
        catch
        {
            EndCall();
            throw;
        }
    }

    /// <summary>A pooled context or a new one; the caller has counted its call(s) in flight.</summary>
    private ScoringContext TakeContext()
    {
        lock (_poolLock)
        {
            if (_idle.TryPop(out var context))
            {
                return context;
            }
        }

        return new ScoringContext(_session, Rank);
    }

    private void Return(ScoringContext context)
    {
        Recycle(context);
        EndCall();
    }

    /// <summary>Pools a context, or frees it when the pool is full or the scorer disposed.</summary>
    private void Recycle(ScoringContext context)
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
    }

    /// <summary>Frees a context a call failed in (its bindings may be half made) instead of pooling it.</summary>
    private void Discard(ScoringContext context)
    {
        context.Dispose();
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
