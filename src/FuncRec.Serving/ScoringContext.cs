using FuncRec.Core.Features;
using Microsoft.ML.OnnxRuntime;
using G = FuncRec.Core.Onnx.OnnxScoringGraph;

namespace FuncRec.Serving;

/// <summary>
/// Everything one scoring call needs and can reuse on the next: pinned input and output buffers, the tensors
/// over them, and an I/O binding that keeps the fixed-shape inputs bound between calls. One caller at a time
/// (the scorer pools them); the session itself is shared.
/// </summary>
internal sealed class ScoringContext : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _rank;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _onlineVector;
    private readonly float[] _onlineBias = Pinned<float>(1);
    private readonly long[] _topK = Pinned<long>(1);
    private readonly long[] _noCandidatesBuffer = Pinned<long>(1);
    private readonly List<OrtValue> _ownedValues = [];
    private readonly OrtValue _noCandidates;
    private readonly List<OrtValue> _callValues = [];

    // The user's rows and weights are bound once at a fixed, padded length (unused slots: row 0 with weight 0, which
    // add nothing), so a call copies into them instead of creating tensors; they grow when a user has more rows.
    private long[] _rows = [];
    private float[] _weights = [];
    private OrtValue? _rowsValue;
    private OrtValue? _weightsValue;
    private int _lastUserRows;

    // The top-k outputs are reused while k stays the same (it nearly always does).
    private OrtValue? _topScoresValue;
    private OrtValue? _topIndicesValue;
    private long[] _candidates = Pinned<long>(64);
    private float[] _candidateScores = Pinned<float>(64);
    private float[] _topScores = [];
    private long[] _topIndices = [];

    // All zeros between calls: a call marks its exclusions and clears exactly those afterwards.
    private float[] _exclude = Pinned<float>(1);

    private ItemCatalogSnapshot? _boundCatalog;
    private OrtValue? _itemVectors;
    private OrtValue? _itemBiases;
    private OrtValue? _excludeMask;

    public ScoringContext(InferenceSession session, int rank)
    {
        _session = session;
        _rank = rank;
        _onlineVector = Pinned<float>(rank);
        _binding = session.CreateIoBinding();
        _binding.BindInput(G.OnlineVector, Own(Tensor(_onlineVector, rank)));
        _binding.BindInput(G.OnlineBias, Own(Tensor(_onlineBias, 1)));
        _binding.BindInput(G.TopK, Own(Tensor(_topK, 1)));
        _noCandidates = Own(Tensor(_noCandidatesBuffer, 0));
    }

    /// <summary>Raw scores of <paramref name="candidates"/> (validated by the caller) into <paramref name="scores"/>.</summary>
    public void ScoreCandidates(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, ReadOnlySpan<int> candidates, Span<float> scores)
    {
        try
        {
            BindUser(user, onlineVector, onlineBias);
            BindCatalog(catalog);
            _topK[0] = 0;

            var count = candidates.Length;
            EnsureCapacity(ref _candidates, count);
            EnsureCapacity(ref _candidateScores, count);
            for (var i = 0; i < count; i++)
            {
                _candidates[i] = candidates[i];
            }

            _binding.BindInput(G.Candidates, CallValue(Tensor(_candidates, count)));
            _binding.ClearBoundOutputs();
            _binding.BindOutput(G.CandidateScores, CallValue(Tensor(_candidateScores, count)));
            _session.RunWithBinding(_runOptions, _binding);
            _candidateScores.AsSpan(0, count).CopyTo(scores);
        }
        finally
        {
            ReleaseCallValues();
        }
    }

    /// <summary>
    /// The best <paramref name="k"/> items not excluded (and, with a category, in it), highest raw score first.
    /// Excluded indices outside the snapshot are ignored. Returns how many were written.
    /// </summary>
    public int TopK(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias, ItemCatalogSnapshot catalog, int k, ReadOnlySpan<int> excluded, string? category, Span<int> indices, Span<float> scores)
    {
        BindCatalog(catalog);
        var items = catalog.Count;
        var mask = _exclude.AsSpan(0, items);
        var eligible = MarkExclusions(mask, catalog, excluded, category);
        try
        {
            var take = Math.Min(k, eligible);
            if (take == 0)
            {
                return 0;
            }

            BindUser(user, onlineVector, onlineBias);
            _topK[0] = take;
            _binding.BindInput(G.Candidates, _noCandidates);
            BindTopOutputs(take);
            _session.RunWithBinding(_runOptions, _binding);
            for (var i = 0; i < take; i++)
            {
                indices[i] = (int)_topIndices[i];
                scores[i] = _topScores[i];
            }

            return take;
        }
        finally
        {
            if (category is null)
            {
                foreach (var index in excluded)
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

            ReleaseCallValues();
        }
    }

    public void Dispose()
    {
        ReleaseCallValues();
        UnbindCatalog();
        _rowsValue?.Dispose();
        _weightsValue?.Dispose();
        _topScoresValue?.Dispose();
        _topIndicesValue?.Dispose();
        foreach (var value in _ownedValues)
        {
            value.Dispose();
        }

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

    /// <summary>Copies the user's rows into the int64 buffer the graph reads, and the online state into its bound buffers.</summary>
    private void BindUser(FeatureVector user, ReadOnlySpan<float> onlineVector, float onlineBias)
    {
        var rows = user.Rows;
        var count = rows.Length;
        if (_rowsValue is null || count > _rows.Length)
        {
            _rowsValue?.Dispose();
            _weightsValue?.Dispose();
            var capacity = Math.Max(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count));
            _rows = Pinned<long>(capacity);
            _weights = Pinned<float>(capacity);
            _rowsValue = Tensor(_rows, capacity);
            _weightsValue = Tensor(_weights, capacity);
            _binding.BindInput(G.UserRows, _rowsValue);
            _binding.BindInput(G.UserWeights, _weightsValue);
            _lastUserRows = 0;
        }

        for (var i = 0; i < count; i++)
        {
            _rows[i] = rows[i];
        }

        user.Weights.CopyTo(_weights);
        if (_lastUserRows > count)
        {
            // The previous user's extra rows would still count: clear them back to the neutral padding.
            _rows.AsSpan(count, _lastUserRows - count).Clear();
            _weights.AsSpan(count, _lastUserRows - count).Clear();
        }

        _lastUserRows = count;
        if (onlineVector.IsEmpty)
        {
            _onlineVector.AsSpan().Clear();
        }
        else
        {
            onlineVector.CopyTo(_onlineVector);
        }

        _onlineBias[0] = onlineBias;
    }

    private void BindTopOutputs(int take)
    {
        if (_topScoresValue is null || _topScores.Length != take)
        {
            _topScoresValue?.Dispose();
            _topIndicesValue?.Dispose();
            _topScores = Pinned<float>(take);
            _topIndices = Pinned<long>(take);
            _topScoresValue = Tensor(_topScores, take);
            _topIndicesValue = Tensor(_topIndices, take);
        }

        _binding.ClearBoundOutputs();
        _binding.BindOutput(G.TopScores, _topScoresValue);
        _binding.BindOutput(G.TopIndices, _topIndicesValue!);
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
        if (_exclude.Length < items)
        {
            _exclude = Pinned<float>(Math.Max(items, _exclude.Length * 2));
        }

        _itemVectors = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(catalog.Vectors, 0, items * _rank), [items, _rank]);
        _itemBiases = Tensor(catalog.Biases, items);
        _excludeMask = Tensor(_exclude, items);
        _binding.BindInput(G.ItemVectors, _itemVectors);
        _binding.BindInput(G.ItemBiases, _itemBiases);
        _binding.BindInput(G.Exclude, _excludeMask);
        _boundCatalog = catalog;
    }

    private void UnbindCatalog()
    {
        _itemVectors?.Dispose();
        _itemBiases?.Dispose();
        _excludeMask?.Dispose();
        _itemVectors = _itemBiases = _excludeMask = null;
        _boundCatalog = null;
    }

    private OrtValue Own(OrtValue value)
    {
        _ownedValues.Add(value);
        return value;
    }

    private OrtValue CallValue(OrtValue value)
    {
        _callValues.Add(value);
        return value;
    }

    private void ReleaseCallValues()
    {
        foreach (var value in _callValues)
        {
            value.Dispose();
        }

        _callValues.Clear();
    }

    private static OrtValue Tensor<T>(T[] buffer, int length)
        where T : unmanaged
        => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<T>(buffer, 0, length), [length]);

    private static void EnsureCapacity<T>(ref T[] buffer, int length)
        where T : unmanaged
    {
        if (buffer.Length < length)
        {
            buffer = Pinned<T>(Math.Max(length, buffer.Length * 2));
        }
    }

    /// <summary>On the pinned-object heap: ONNX Runtime reads and writes these in place for the context's lifetime.</summary>
    private static T[] Pinned<T>(int length)
        where T : unmanaged
        => GC.AllocateArray<T>(Math.Max(length, 1), pinned: true);
}
