using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>
/// Online learning on a live model: predict an event, then learn from it, one event at a time, with each
/// user's recent items kept as they happen. This is the prequential (test-then-train) loop and the engine of
/// <see cref="RecommenderTrainer.FitPartial"/>. The catalogs may grow between calls. Not thread-safe.
/// </summary>
public sealed class OnlineLearner
{
    private readonly RecommenderModel _model;
    private readonly EncodedCatalog _users;
    private readonly EncodedCatalog _items;
    private readonly SgdKernel _kernel;
    private readonly NegativeSampler? _negatives;
    private readonly UpdateJournal _journal = new();
    private readonly int[] _historyBuffer;
    private readonly int[] _rowBuffer;
    private readonly float[] _valueBuffer;
    private readonly float[] _weightBuffer;
    private readonly float[] _p;
    private readonly float[] _q;
    private readonly Interaction[] _single = new Interaction[1];
    private readonly FeatureGroup? _behaviourGroup;
    private readonly int _blockLimit;
    private BehaviourIndex? _fixedBehaviour;

    public OnlineLearner(RecommenderModel model, EntityCatalog users, EntityCatalog items, TrainerOptions options, UserHistories? histories = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        _blockLimit = options.UserChunkSize;
        Users = users;
        Items = items;
        var cap = model.Encoder.BehaviourGroup?.MaxValues ?? 0;
        Histories = histories ?? new UserHistories(cap > 0 ? cap : 50);
        _users = new EncodedCatalog(model, users, FeatureSide.User, grow: true);
        _items = new EncodedCatalog(model, items, FeatureSide.Item, grow: true);
        _kernel = new SgdKernel(model, options, options.Seed, eventSizedBehaviourSteps: true);
        _negatives = model.Loss == LossKind.Squared ? null : new HistoryNegativeSampler(Histories, items);
        _historyBuffer = new int[Histories.Capacity];
        _rowBuffer = new int[Histories.Capacity];
        _valueBuffer = new float[Histories.Capacity];
        _weightBuffer = new float[Histories.Capacity];
        _behaviourGroup = model.Encoder.BehaviourGroup;
        _p = new float[model.Rank];
        _q = new float[model.Rank];
    }

    public RecommenderModel Model => _model;

    public EntityCatalog Users { get; }

    public EntityCatalog Items { get; }

    public UserHistories Histories { get; }

    /// <summary>
    /// The prediction for an event before learning from it (clipped for ratings; μ alone before any training):
    /// exactly what <see cref="PredictThenLearn"/> would return for it now. Applies another user's pending
    /// behaviour update first, as learning this event would.
    /// </summary>
    public float Predict(int user, int item)
    {
        CloseBlockUnlessItContinuesWith(user);
        var itemFeatures = _items.Get(item);
        float userBias;
        if (_kernel.HasOpenBlock)
        {
            var ownRow = _behaviourGroup is null ? -1 : _items.BehaviourRow(item);
            userBias = _kernel.ComposeUser(ownRow, _p, out _, out _);
        }
        else
        {
            var profile = _users.Get(user);
            var count = BehaviourRows(user, item);
            var coefficient = _kernel.BehaviourCoefficient(count);
            RecommenderModel.Sum(_model.UserTable, profile.Rows, profile.Weights, _p, out userBias);
            for (var h = 0; h < count; h++)
            {
                var weight = coefficient * _weightBuffer[h];
                VectorOps.AddScaled(_p, _model.UserTable.Vector(_rowBuffer[h]), weight);
                userBias += weight * _model.UserTable.Biases[_rowBuffer[h]];
            }
        }

        RecommenderModel.Sum(_model.ItemTable, itemFeatures.Rows, itemFeatures.Weights, _q, out var itemBias);
        return _model.Clip(_model.Score(_p, userBias, _q, itemBias));
    }

    /// <summary>
    /// Test-then-train in one pass: returns the prediction the model made for the event before learning from
    /// it (identical to <see cref="Predict"/> followed by <see cref="Learn"/>, with the vectors computed once).
    /// Squared loss only; other losses fall back to the two calls.
    /// </summary>
    public float PredictThenLearn(in Interaction interaction)
    {
        if (_model.Loss != LossKind.Squared)
        {
            var prediction = Predict(interaction.User, interaction.Item);
            Learn(interaction);
            return prediction;
        }

        _single[0] = interaction;
        var meanBefore = _model.GlobalMean;
        var (minBefore, maxBefore) = (_model.MinValue, _model.MaxValue);
        Step(_single);
        _model.IsFitted = true;

        // The kernel scored with μ (and the clip range) after they took in this event; the prediction must not have seen it.
        var score = _kernel.LastScore - _model.GlobalMean + meanBefore;
        return minBefore is { } min && score < min ? min : maxBefore is { } max && score > max ? max : score;
    }

    /// <summary>One SGD step on one event, then the event joins the user's history. No undo journal: use <see cref="FitPartial"/> for that.</summary>
    public void Learn(in Interaction interaction)
    {
        _single[0] = interaction;
        Step(_single);
        _model.IsFitted = true;
    }

    /// <summary>One pass over a batch in order; a divergence undoes the whole batch and rethrows.</summary>
    public void FitPartial(IReadOnlyList<Interaction> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Flush();
        _journal.Begin(_model);
        _kernel.Journal = _journal;
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                _single[0] = batch[i];
                Step(_single);
            }

            _kernel.EndBlock();
        }
        catch (ModelDivergedException)
        {
            _kernel.AbandonBlock();
            _journal.Rollback();

            // Rows the batch added to the feature space are gone again; cached encodings may point at them.
            _users.Reset();
            _items.Reset();
            throw;
        }
        finally
        {
            _kernel.Journal = null;
        }

        _model.IsFitted = true;
    }

    /// <summary>
    /// Applies the behaviour gradient still pending for the current user. <see cref="Learn"/> and
    /// <see cref="PredictThenLearn"/> defer it while one user's events keep coming (at most
    /// <see cref="TrainerOptions.UserChunkSize"/> of them), which is what makes long histories affordable online;
    /// call this before the model is read elsewhere (saved, exported, scored by another component).
    /// </summary>
    public void Flush() => _kernel.EndBlock();

    /// <summary>Uses fixed behaviour sets (every user's items in the given interactions) instead of the running histories.</summary>
    internal void UseBehaviourOf(IReadOnlyList<Interaction> interactions)
        => _fixedBehaviour = new BehaviourIndex(Users.Count, interactions, Histories.Capacity);

    private void Step(Interaction[] single)
    {
        var e = single[0];
        if ((uint)e.User >= (uint)Users.Count || (uint)e.Item >= (uint)Items.Count)
        {
            throw new ArgumentException($"Interaction ({e.User}, {e.Item}) refers to an index outside the catalogs.", nameof(single));
        }

        if (!float.IsFinite(e.Value))
        {
            throw new ArgumentException("Interaction values must be finite.", nameof(single));
        }

        CloseBlockUnlessItContinuesWith(e.User);

        if (!_kernel.HasOpenBlock)
        {
            var count = BehaviourRows(e.User, -1);
            _kernel.BeginBlock(e.User, _users.Get(e.User), _rowBuffer.AsSpan(0, count), _weightBuffer.AsSpan(0, count));
        }

        if (_model.Loss == LossKind.Squared)
        {
            // μ follows the running mean of what the model has been taught.
            var n = _model.TrainedEvents + 1;
            _model.GlobalMean += (e.Value - _model.GlobalMean) / n;
            _model.MinValue = _model.MinValue is { } min ? Math.Min(min, e.Value) : e.Value;
            _model.MaxValue = _model.MaxValue is { } max ? Math.Max(max, e.Value) : e.Value;
        }

        _kernel.TrainEvent(e, _items, _negatives);
        _model.TrainedEvents++;
        if (_fixedBehaviour is null)
        {
            Histories.Record(e.User, e.Item, e.Value);
            if (_behaviourGroup is not null)
            {
                var row = _items.BehaviourRow(e.Item);
                if (row >= 0)
                {
                    _kernel.AppendBehaviour(row, _behaviourGroup.BehaviourWeight(e.Value));
                }
            }
        }
    }

    private void CloseBlockUnlessItContinuesWith(int user)
    {
        if (_kernel.HasOpenBlock && (_kernel.BlockUser != user || _kernel.BlockLength >= _blockLimit))
        {
            _kernel.EndBlock();
        }
    }

    /// <summary>
    /// Fills the row and weight buffers with the user's recent items (leaving out <paramref name="excludeItem"/>)
    /// and returns how many there are.
    /// </summary>
    private int BehaviourRows(int user, int excludeItem)
    {
        if (_behaviourGroup is null)
        {
            return 0;
        }

        ReadOnlySpan<int> recent;
        ReadOnlySpan<float> values;
        if (_fixedBehaviour is { } fixedBehaviour)
        {
            recent = fixedBehaviour.Of(user);
            values = fixedBehaviour.ValuesOf(user);
        }
        else
        {
            var n = Histories.Recent(user, _historyBuffer, _valueBuffer);
            recent = _historyBuffer.AsSpan(0, n);
            values = _valueBuffer.AsSpan(0, n);
        }

        var count = 0;
        for (var i = 0; i < recent.Length && count < _rowBuffer.Length; i++)
        {
            if (recent[i] == excludeItem)
            {
                continue;
            }

            // Histories hold distinct items and dictionary rows are distinct per item, so no de-duplication is needed.
            var row = _items.BehaviourRow(recent[i]);
            if (row >= 0)
            {
                _rowBuffer[count] = row;
                _weightBuffer[count] = _behaviourGroup.BehaviourWeight(values[i]);
                count++;
            }
        }

        return count;
    }
}
