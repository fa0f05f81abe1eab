using System.Runtime.CompilerServices;
using FuncRec.Core.Features;
using Microsoft.ML.OnnxRuntime;
using G = FuncRec.Core.Onnx.OnnxScoringGraph;

namespace FuncRec.Serving;

/// <summary>
/// Everything one scoring run needs and can reuse on the next: pinned input and output buffers that grow to the
/// largest batch seen, the catalog's tensors (bound while the snapshot stays the same), and an I/O binding. A run
/// scores a batch of users; a tensor over a buffer is made again only when the run's shape differs from the last
/// one's. One caller at a time (the scorer pools them); the session itself is shared.
/// </summary>
internal sealed class ScoringContext : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _rank;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly long[] _topK = Pinned<long>(1);
    private readonly OrtValue _topKValue;

    // Each input stays bound between runs while its buffer and shape stay the same (rows are padded to a power of
    // two; a run of one, the common case at low load, keeps its shapes), so such a run only copies into the buffers.
    private readonly Dictionary<string, BoundTensor> _bound = [];

    private long[] _rows = Pinned<long>(64);
    private float[] _weights = Pinned<float>(64);
    private float[] _onlineVectors;
    private float[] _onlineBiases = Pinned<float>(1);
    private long[] _candidates = Pinned<long>(64);
    private float[] _candidateScores = Pinned<float>(64);
    private float[] _topScores = Pinned<float>(16);
    private long[] _topIndices = Pinned<long>(16);

    // All zeros between runs: a run marks its exclusions, one catalog-sized row per user, and clears them afterwards.
    private float[] _exclude = Pinned<float>(1);

    private ItemCatalogSnapshot? _boundCatalog;
    private OrtValue? _itemVectors;
    private OrtValue? _itemBiases;

    public ScoringContext(InferenceSession session, int rank)
    {
        _session = session;
        _rank = rank;
        _onlineVectors = Pinned<float>(rank);
        _binding = session.CreateIoBinding();
        _topKValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<long>(_topK), [1]);
        _binding.BindInput(G.TopK, _topKValue);
    }

    /// <summary>Raw scores of <paramref name="candidates"/> (validated by the caller) into <paramref name="scores"/>.</summary>
    public void ScoreCandidates(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, ReadOnlySpan<int> candidates, Span<float> scores)
    {
        BindCatalog(catalog);
        BindUsers([new UserToScore(user, onlineVector.ToArray(), onlineBias)]);
        BindExclusions(1, catalog.Count);
        _topK[0] = 0;

        var count = candidates.Length;
        EnsureCapacity(ref _candidates, count);
        EnsureCapacity(ref _candidateScores, count);
        for (var i = 0; i < count; i++)
        {
            _candidates[i] = candidates[i];
        }

        BindInput(G.Candidates, _candidates, 1, count);
        _binding.ClearBoundOutputs();
        _binding.BindOutput(G.CandidateScores, Output(G.CandidateScores, _candidateScores, 1, count));
        _session.RunWithBinding(_runOptions, _binding);
        _candidateScores.AsSpan(0, count).CopyTo(scores);
    }

    /// <summary>
    /// For each call, the best items it does not exclude (and, with a category, in it), highest raw score first, as
    /// many as the call's own k, in one run over the catalog with the graph's K = <paramref name="k"/> (the largest k
    /// of the calls). Excluded indices outside the snapshot are ignored.
    /// </summary>
    public ScoredItem[][] TopK(IReadOnlyList<TopKCall> calls, ItemCatalogSnapshot catalog, int k)
    {
        var batch = calls.Count;
        var items = catalog.Count;
        var results = new ScoredItem[batch][];
        BindCatalog(catalog);
        BindExclusions(batch, items);
        var eligible = new int[batch];
        var mostEligible = 0;
        try
        {
            for (var u = 0; u < batch; u++)
            {
                eligible[u] = MarkExclusions(_exclude.AsSpan(u * items, items), catalog, calls[u].Excluded, calls[u].Category);
                mostEligible = Math.Max(mostEligible, eligible[u]);
            }

            // The graph gives every user the same K, capped as here: the most items any user of the batch has left.
            var take = Math.Min(k, mostEligible);
            if (take == 0)
            {
                Array.Fill(results, []);
                return results;
            }

            var users = new UserToScore[batch];
            for (var u = 0; u < batch; u++)
            {
                users[u] = new UserToScore(calls[u].User, calls[u].OnlineVector, calls[u].OnlineBias);
            }

            BindUsers(users);
            _topK[0] = take;
            BindInput(G.Candidates, _candidates, batch, 0);
            EnsureCapacity(ref _topScores, batch * take);
            EnsureCapacity(ref _topIndices, batch * take);
            _binding.ClearBoundOutputs();
            _binding.BindOutput(G.TopScores, Output(G.TopScores, _topScores, batch, take));
            _binding.BindOutput(G.TopIndices, Output(G.TopIndices, _topIndices, batch, take));
            _session.RunWithBinding(_runOptions, _binding);
            for (var u = 0; u < batch; u++)
            {
                // A user with fewer items left than K has their excluded items after them, below every real score;
                // a call that asked for fewer than the batch's K keeps the head of its list.
                var found = Math.Min(Math.Min(take, eligible[u]), calls[u].K);
                var result = new ScoredItem[found];
                for (var i = 0; i < found; i++)
                {
                    var index = (int)_topIndices[(u * take) + i];
                    result[i] = new ScoredItem(index, catalog.IdAt(index), _topScores[(u * take) + i]);
                }

                results[u] = result;
            }

            return results;
        }
        finally
        {
            for (var u = 0; u < batch; u++)
            {
                var mask = _exclude.AsSpan(u * items, items);
                if (calls[u].Category is null)
                {
                    foreach (var index in calls[u].Excluded)
                    {
                        if ((uint)index < (uint)items)
                        {
                            mask[index] = 0f;
                        }
                    }
                }
                else
                {
                    mask.Clear();
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (var bound in _bound.Values)
        {
            bound.Value.Dispose();
        }

        _bound.Clear();
        UnbindCatalog();
        _topKValue.Dispose();
        _binding.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>Sets mask entries to 1 for excluded items (all outside the category, when one is given); returns the items left.</summary>
    private static int MarkExclusions(Span<float> mask, ItemCatalogSnapshot catalog, ReadOnlySpan<int> excluded, string? category)
    {
        var eligible = mask.Length;
        if (category is not null)
        {
            mask.Fill(1f);
            var members = catalog.ItemsInCategory(category);
            foreach (var index in members)
            {
                mask[index] = 0f;
            }

            eligible = members.Length;
        }

        foreach (var index in excluded)
        {
            if ((uint)index < (uint)mask.Length && mask[index] == 0f)
            {
                mask[index] = 1f;
                eligible--;
            }
        }

        return eligible;
    }

    /// <summary>
    /// Copies each user's rows into the int64 buffer the graph reads, padded to the batch's longest with row 0 at
    /// weight 0 (which adds nothing), and the online state into its buffers.
    /// </summary>
    private void BindUsers(ReadOnlySpan<UserToScore> users)
    {
        var batch = users.Length;
        var longest = 1;
        foreach (var user in users)
        {
            longest = Math.Max(longest, user.Features.Rows.Length);
        }

        var width = Math.Max(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)longest));

        EnsureCapacity(ref _rows, batch * width);
        EnsureCapacity(ref _weights, batch * width);
        EnsureCapacity(ref _onlineVectors, batch * _rank);
        EnsureCapacity(ref _onlineBiases, batch);
        for (var u = 0; u < batch; u++)
        {
            var features = users[u].Features;
            var rows = features.Rows;
            var rowSlot = _rows.AsSpan(u * width, width);
            var weightSlot = _weights.AsSpan(u * width, width);
            for (var i = 0; i < rows.Length; i++)
            {
                rowSlot[i] = rows[i];
            }

            features.Weights.CopyTo(weightSlot);
            rowSlot[rows.Length..].Clear();
            weightSlot[rows.Length..].Clear();

            var online = _onlineVectors.AsSpan(u * _rank, _rank);
            if (users[u].OnlineVector.Length == 0)
            {
                online.Clear();
            }
            else
            {
                users[u].OnlineVector.Span.CopyTo(online);
            }

            _onlineBiases[u] = users[u].OnlineBias;
        }

        BindInput(G.UserRows, _rows, batch, width);
        BindInput(G.UserWeights, _weights, batch, width);
        BindInput(G.OnlineVector, _onlineVectors, batch, _rank);
        BindInput(G.OnlineBias, _onlineBiases, batch, 1);
    }

    /// <summary>
    /// Binds the exclusion mask as [batch, items], first growing it to exactly that (it is the largest buffer; a grown
    /// one starts all zeros, as the mask must between runs).
    /// </summary>
    private void BindExclusions(int batch, int items)
    {
        if (_exclude.Length < batch * items)
        {
            _exclude = Pinned<float>(batch * items);
        }

        BindInput(G.Exclude, _exclude, batch, items);
    }

    /// <summary>Binds <paramref name="buffer"/> as a [rows, columns] input, unless it is bound so already.</summary>
    private void BindInput<T>(string name, T[] buffer, int rows, int columns)
        where T : unmanaged
    {
        if (Reuse(name, buffer, rows, columns) is { } value)
        {
            _binding.BindInput(name, value);
        }
    }

    /// <summary>The [rows, columns] tensor over an output buffer, made again only when the buffer or shape changed.</summary>
    private OrtValue Output<T>(string name, T[] buffer, int rows, int columns)
        where T : unmanaged
        => Reuse(name, buffer, rows, columns) ?? _bound[name].Value;

    /// <summary>A new tensor when the one kept under <paramref name="name"/> has another buffer or shape; null when it can stay.</summary>
    private OrtValue? Reuse<T>(string name, T[] buffer, int rows, int columns)
        where T : unmanaged
    {
        if (_bound.TryGetValue(name, out var bound) && ReferenceEquals(bound.Buffer, buffer) && bound.Rows == rows && bound.Columns == columns)
        {
            return null;
        }

        bound.Value?.Dispose();
        var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<T>(buffer, 0, rows * columns), [rows, columns]);
        _bound[name] = new BoundTensor(value, buffer, rows, columns);
        return value;
    }

    /// <summary>Binds a snapshot's arrays in place; kept bound while callers use the same snapshot.</summary>
    private void BindCatalog(ItemCatalogSnapshot catalog)
    {
        if (ReferenceEquals(catalog, _boundCatalog))
        {
            return;
        }

        UnbindCatalog();
        var items = catalog.Count;
        _itemVectors = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(catalog.Vectors, 0, items * _rank), [items, _rank]);
        _itemBiases = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(catalog.Biases, 0, items), [items]);
        _binding.BindInput(G.ItemVectors, _itemVectors);
        _binding.BindInput(G.ItemBiases, _itemBiases);
        _boundCatalog = catalog;
    }

    private void UnbindCatalog()
    {
        _itemVectors?.Dispose();
        _itemBiases?.Dispose();
        _itemVectors = _itemBiases = null;
        _boundCatalog = null;
    }

    /// <summary>Grows a pinned buffer, at least doubling it.</summary>
    private static void EnsureCapacity<T>(ref T[] buffer, int length)
        where T : unmanaged
    {
        if (buffer.Length < length)
        {
            buffer = Pinned<T>(Math.Max(length, buffer.Length * 2));
        }
    }

    /// <summary>On the pinned-object heap: ONNX Runtime reads and writes these in place during a run.</summary>
    private static T[] Pinned<T>(int length)
        where T : unmanaged
        => GC.AllocateArray<T>(Math.Max(length, 1), pinned: true);

    private readonly record struct UserToScore(FeatureVector Features, ReadOnlyMemory<float> OnlineVector, float OnlineBias);

    private readonly record struct BoundTensor(OrtValue Value, Array Buffer, int Rows, int Columns);
}

/// <summary>One user's top-k request, as the scorer queues it to run in a batch with others.</summary>
internal sealed class TopKCall(FeatureVector user, ReadOnlyMemory<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, int k, int[] excluded, string? category)
{
    private readonly TaskCompletionSource<ScoredItem[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FeatureVector User => user;

    public ReadOnlyMemory<float> OnlineVector => onlineVector;

    public float OnlineBias => onlineBias;

    public ItemCatalogSnapshot Catalog => catalog;

    public int K => k;

    public int[] Excluded => excluded;

    public string? Category => category;

    public Task<ScoredItem[]> Task => _completion.Task;

    // The caller's cancellation, registered only while the call waits for a run (most calls run at once and never
    // register), released once it is answered. The runner that answers and the caller that registers may be two
    // threads: whichever comes second sees the other's mark and releases the registration.
    private static readonly object AnsweredMark = new();
    private object? _cancellation;

    public void Watch(CancellationTokenRegistration cancellation)
    {
        if (Interlocked.CompareExchange(ref _cancellation, new StrongBox<CancellationTokenRegistration>(cancellation), null) is not null)
        {
            cancellation.Dispose();
        }
    }

    public void Complete(ScoredItem[] result)
    {
        _completion.TrySetResult(result);
        Answered();
    }

    public void Fail(Exception exception)
    {
        _completion.TrySetException(exception);
        Answered();
    }

    public void Cancel(CancellationToken cancellationToken)
    {
        _completion.TrySetCanceled(cancellationToken);
        Answered();
    }

    private void Answered()
    {
        // Unregister only: never waits here, since the callback that may be running (Cancel) does not come back here.
        if (Interlocked.Exchange(ref _cancellation, AnsweredMark) is StrongBox<CancellationTokenRegistration> watched)
        {
            watched.Value.Unregister();
        }
    }
}
