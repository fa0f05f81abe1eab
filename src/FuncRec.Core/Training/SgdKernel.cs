using System.Runtime.InteropServices;
using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>
/// The gradient steps every trainer shares. Works on one user "block" at a time: a run of events of one user
/// whose Behaviour rows (the user's recent items) are summed once, their gradient accumulated over the block and
/// applied at its end, which is what makes SVD++-style implicit features affordable. Profile rows of the user and
/// all item rows are updated after every event. Each row has one AdaGrad accumulator for its vector and one for
/// its bias. The event's own item is left out of the user's behaviour sum, so the model never learns to
/// recommend what the user already has.
/// </summary>
internal sealed class SgdKernel
{
    private readonly RecommenderModel _model;
    private readonly EmbeddingTable _users;
    private readonly EmbeddingTable _items;
    private readonly EmbeddingTable? _anchorUsers;
    private readonly EmbeddingTable? _anchorItems;
    private readonly int _rank;
    private readonly LossKind _loss;
    private readonly float _l2;
    private readonly float _biasL2;
    private readonly float _anchorL2;
    private readonly float _warpMargin;
    private readonly int _maxWarpTrials;
    private readonly int _negatives;
    private readonly SeededRandom _random;
    private readonly bool _eventSized;
    private readonly FeatureGroup? _behaviourGroup;
    private readonly float[] _pStatic;
    private readonly float[] _behaviourSum;
    private readonly float[] _p;
    private readonly float[] _q;
    private readonly float[] _qNegative;
    private readonly float[] _qCandidate;
    private readonly float[] _direction;
    private readonly float[] _gradient;
    private readonly float[] _behaviourGradient;
    private readonly float[] _rowGradient;
    private readonly List<(int Row, float[] Vector, float Bias)> _exclusions = [];
    private readonly List<Join> _joins = [];
    private readonly List<int> _blockRows = [];
    private readonly List<float> _blockWeights = [];
    private int _blockUser = -1;
    private SparseFeatures _blockProfile = SparseFeatures.Empty;
    private float _behaviourBiasSum;
    private float _behaviourBiasGradient;
    private float _behaviourSquares;
    private readonly float[] _fastDelta;
    private float _fastBiasDelta;
    private float _fastRate;
    private float _fastBiasRate;
    private float _behaviourBiasSquares;
    private readonly Stack<float[]> _spareVectors = new();

    /// <param name="eventSizedBehaviourSteps">
    /// Online learning (true): behaviour rows move at the block's end as far as per-event steps would have moved
    /// them, and later events of the block already see that move through a running view of the user vector.
    /// Batch epochs (false): one AdaGrad step per block with the block's summed gradient, as fast SVD++
    /// implementations do; it regularises better when the data is seen many times.
    /// </param>
    public SgdKernel(RecommenderModel model, TrainerOptions options, ulong seed, RecommenderModel? anchor = null, float anchorL2 = 0f, bool eventSizedBehaviourSteps = false)
    {
        _eventSized = eventSizedBehaviourSteps;
        _model = model;
        _users = model.UserTable;
        _items = model.ItemTable;
        _anchorUsers = anchor?.UserTable;
        _anchorItems = anchor?.ItemTable;
        _anchorL2 = anchor is null ? 0f : anchorL2;
        _rank = model.Rank;
        _loss = model.Loss;
        _l2 = options.L2;
        _biasL2 = options.BiasL2;
        _warpMargin = options.WarpMargin;
        _maxWarpTrials = options.MaxWarpTrials;
        _negatives = options.NegativeSamples;
        LearningRate = options.LearningRate;
        BiasLearningRate = options.BiasLearningRate;
        _random = new SeededRandom(seed);
        _behaviourGroup = model.Encoder.BehaviourGroup;
        _pStatic = new float[_rank];
        _behaviourSum = new float[_rank];
        _p = new float[_rank];
        _q = new float[_rank];
        _qNegative = new float[_rank];
        _qCandidate = new float[_rank];
        _direction = new float[_rank];
        _gradient = new float[_rank];
        _behaviourGradient = new float[_rank];
        _rowGradient = new float[_rank];
        _fastDelta = new float[_rank];
    }

    public float LearningRate { get; set; }

    public float BiasLearningRate { get; set; }

    /// <summary>When set, every row is saved before its first change so the batch can be undone.</summary>
    public UpdateJournal? Journal { get; set; }

    public SeededRandom Random => _random;

    /// <summary>The score of the last pointwise event, computed before its update (the prequential prediction).</summary>
    public float LastScore { get; private set; }

    /// <summary>The weight each behaviour row gets when the user has <paramref name="count"/> of them.</summary>
    public float BehaviourCoefficient(int count)
    {
        if (_behaviourGroup is null || count <= 0)
        {
            return 0f;
        }

        return _behaviourGroup.Normalization switch
        {
            FeatureNormalization.Mean => _behaviourGroup.Weight / count,
            FeatureNormalization.InverseSqrt => _behaviourGroup.Weight / MathF.Sqrt(count),
            _ => _behaviourGroup.Weight,
        };
    }

    /// <summary>True while a user's block is open (its behaviour gradient not yet applied).</summary>
    public bool HasOpenBlock => _blockUser >= 0;

    /// <summary>The user whose block is open, or -1.</summary>
    public int BlockUser => _blockUser;

    /// <summary>Events trained since the block opened.</summary>
    public int BlockLength { get; private set; }

    /// <summary>
    /// Trains on a block of events of one user. <paramref name="behaviourRows"/> are the user's distinct
    /// behaviour rows for the whole block, with their value weights; an event whose item is among them sees the
    /// sum without it. Returns the summed loss of the block.
    /// </summary>
    public double TrainBlock(
        int user,
        SparseFeatures userProfile,
        ReadOnlySpan<int> behaviourRows,
        ReadOnlySpan<float> behaviourValues,
        ReadOnlySpan<Interaction> events,
        EncodedCatalog items,
        NegativeSampler? negatives)
    {
        BeginBlock(user, userProfile, behaviourRows, behaviourValues);
        double loss = 0;
        foreach (var e in events)
        {
            loss += TrainEvent(e, items, negatives);
        }

        EndBlock();
        return loss;
    }

    /// <summary>
    /// Opens a block for a user: sums the behaviour rows once. Until <see cref="EndBlock"/>, the behaviour rows
    /// collect their gradient instead of stepping after every event.
    /// </summary>
    public void BeginBlock(int user, SparseFeatures userProfile, ReadOnlySpan<int> behaviourRows, ReadOnlySpan<float> behaviourValues)
    {
        if (_blockUser >= 0)
        {
            throw new InvalidOperationException("A block is already open.");
        }

        _blockUser = user;
        _blockProfile = userProfile;
        BlockLength = 0;
        _blockRows.Clear();
        _blockWeights.Clear();
        _blockRows.AddRange(behaviourRows);
        _blockWeights.AddRange(behaviourValues);
        _behaviourBiasSum = SumRows(_users, behaviourRows, behaviourValues, _behaviourSum);
        Array.Clear(_behaviourGradient);
        _behaviourBiasGradient = 0f;
        _behaviourSquares = 0f;
        _behaviourBiasSquares = 0f;
        Array.Clear(_fastDelta);
        _fastBiasDelta = 0f;
        _fastRate = 0f;
        _fastBiasRate = 0f;
        if (_eventSized)
        {
            for (var h = 0; h < behaviourRows.Length; h++)
            {
                AddFastRate(behaviourRows[h], behaviourValues[h]);
            }
        }

        ReleaseExclusions();
    }

    /// <summary>
    /// The deferred behaviour steps would move the user vector by −coef²·Σ_h w_h²·η_h times each event's
    /// gradient (η_h the row's AdaGrad step size); this running rate lets the block see that move at once.
    /// </summary>
    private void AddFastRate(int row, float weight)
    {
        if ((uint)row >= (uint)_users.Rows)
        {
            return;
        }

        _fastRate += weight * weight * LearningRate / MathF.Sqrt(_users.VectorAccumulators[row]);
        _fastBiasRate += weight * weight * BiasLearningRate / MathF.Sqrt(_users.BiasAccumulators[row]);
    }

    /// <summary>
    /// Adds a behaviour row to the open block (the user just interacted with its item): later events of the
    /// block see it, and it receives only the gradient of those later events.
    /// </summary>
    public void AppendBehaviour(int row, float weight)
    {
        if (_blockUser < 0 || (uint)row >= (uint)_users.Rows || CollectionsMarshal.AsSpan(_blockRows).Contains(row))
        {
            return;
        }

        // Remember the gradient collected so far: this row's share is what comes after.
        var snapshot = RentVector();
        _behaviourGradient.CopyTo(snapshot, 0);
        _joins.Add(new Join(_blockRows.Count, snapshot, _behaviourBiasGradient, _behaviourSquares, _behaviourBiasSquares, BlockLength));
        _blockRows.Add(row);
        _blockWeights.Add(weight);
        if (_eventSized)
        {
            AddFastRate(row, weight);
        }

        VectorOps.AddScaled(_behaviourSum, _users.Vector(row), weight);
        _behaviourBiasSum += weight * _users.Biases[row];
    }

    /// <summary>
    /// The open block's user vector as the next event of the block would see it (profile rows, behaviour sum
    /// without <paramref name="ownRow"/>, and the running view of deferred behaviour steps); returns the user bias.
    /// </summary>
    public float ComposeUser(int ownRow, Span<float> into, out float coefficient, out bool excluded)
    {
        var behaviourRows = CollectionsMarshal.AsSpan(_blockRows);
        var behaviourValues = CollectionsMarshal.AsSpan(_blockWeights);
        var count = behaviourRows.Length;
        var profileBias = SumWeighted(_users, _blockProfile.Rows, _blockProfile.Weights, _pStatic);
        var ownIndex = ownRow >= 0 ? behaviourRows.IndexOf(ownRow) : -1;
        excluded = ownIndex >= 0;
        coefficient = BehaviourCoefficient(excluded ? count - 1 : count);
        _behaviourSum.CopyTo(into);
        var behaviourBias = _behaviourBiasSum;
        if (excluded)
        {
            VectorOps.AddScaled(into, _users.Vector(ownRow), -behaviourValues[ownIndex]);
            behaviourBias -= behaviourValues[ownIndex] * _users.Biases[ownRow];
        }

        if (coefficient != 1f)
        {
            VectorOps.Multiply(into, into, coefficient);
        }

        VectorOps.Add(into, _pStatic);
        VectorOps.Add(into, _fastDelta);
        return profileBias + (coefficient * behaviourBias) + _fastBiasDelta;
    }

    /// <summary>Trains one event of the open block's user. Returns its loss.</summary>
    public double TrainEvent(in Interaction e, EncodedCatalog items, NegativeSampler? negatives)
    {
        var userProfile = _blockProfile;
        var behaviourRows = CollectionsMarshal.AsSpan(_blockRows);
        var behaviourValues = CollectionsMarshal.AsSpan(_blockWeights);
        var count = behaviourRows.Length;
        var pairwise = _loss is LossKind.Bpr or LossKind.Warp;
        BlockLength++;

        var ownRow = count > 0 ? items.BehaviourRow(e.Item) : -1;
        var userBias = ComposeUser(ownRow, _p, out var coefficient, out var excluded);

        var positive = items.Get(e.Item);
        float userBiasGradient;
        double loss;
        if (pairwise)
        {
            if (e.Value <= 0f || negatives is null)
            {
                return 0;
            }

            loss = PairwiseStep(_blockUser, e.Value, positive, items, negatives);
            userBiasGradient = 0f;
        }
        else
        {
            var itemBias = SumWeighted(_items, positive.Rows, positive.Weights, _q);
            var score = _model.GlobalMean + userBias + itemBias + VectorOps.Dot(_p, _q);
            LastScore = score;
            var target = _loss == LossKind.Logistic ? 1f : e.Value;
            var g = PointwiseGradient(score, target, out var eventLoss);
            var weight = _loss == LossKind.Logistic ? Math.Max(e.Value, 0f) : 1f;
            g *= weight;
            loss = weight * eventLoss;
            StepItemRows(positive, _p, g);
            VectorOps.Multiply(_direction, _q, g);

            userBiasGradient = g;

            if (_loss == LossKind.Logistic && negatives is not null)
            {
                for (var n = 0; n < _negatives; n++)
                {
                    var negativeItem = negatives.Draw(_blockUser, _random);
                    if (negativeItem < 0)
                    {
                        break;
                    }

                    var negative = items.Get(negativeItem);
                    var negativeBias = SumWeighted(_items, negative.Rows, negative.Weights, _qNegative);
                    var negativeScore = _model.GlobalMean + userBias + negativeBias + VectorOps.Dot(_p, _qNegative);
                    var gn = PointwiseGradient(negativeScore, 0f, out var negativeLoss) * weight;
                    loss += weight * negativeLoss;
                    StepItemRows(negative, _p, gn);
                    VectorOps.AddScaled(_direction, _qNegative, gn);
                    userBiasGradient += gn;
                }
            }
        }

        // _direction now holds dL/dp for this event: profile rows step at once, behaviour rows at the block's end.
        for (var i = 0; i < userProfile.Rows.Length; i++)
        {
            var row = userProfile.Rows[i];
            var x = userProfile.Weights[i];
            StepVector(_users, _anchorUsers, row, _direction, x);
            if (!pairwise)
            {
                StepBias(_users, _anchorUsers, row, userBiasGradient * x);
            }
        }

        if (count > 0)
        {
            VectorOps.AddScaled(_behaviourGradient, _direction, coefficient);
            _behaviourBiasGradient += coefficient * userBiasGradient;
            _behaviourSquares += coefficient * coefficient * VectorOps.Dot(_direction, _direction) / _rank;
            _behaviourBiasSquares += coefficient * coefficient * userBiasGradient * userBiasGradient;
            if (_eventSized)
            {
                VectorOps.AddScaled(_fastDelta, _direction, -coefficient * coefficient * _fastRate);
                _fastBiasDelta -= coefficient * coefficient * _fastBiasRate * userBiasGradient;
            }
            if (excluded)
            {
                var saved = RentVector();
                VectorOps.Multiply(saved, _direction, coefficient);

                _exclusions.Add((ownRow, saved, coefficient * userBiasGradient));
            }
        }

        return loss;
    }

    /// <summary>Closes the open block without applying its behaviour gradient (after a rollback).</summary>
    public void AbandonBlock()
    {
        _blockUser = -1;
        _blockProfile = SparseFeatures.Empty;
        BlockLength = 0;
        ReleaseExclusions();
    }

    /// <summary>Applies the behaviour gradient collected over the block to each behaviour row, and closes the block.</summary>
    public void EndBlock()
    {
        if (_blockUser < 0)
        {
            return;
        }

        var pairwise = _loss is LossKind.Bpr or LossKind.Warp;
        var rows = CollectionsMarshal.AsSpan(_blockRows);
        var weights = CollectionsMarshal.AsSpan(_blockWeights);
        var nextJoin = 0;
        for (var h = 0; h < rows.Length; h++)
        {
            var row = rows[h];
            var gradient = _behaviourGradient;
            var biasGradient = _behaviourBiasGradient;
            var squares = _behaviourSquares;
            var biasSquares = _behaviourBiasSquares;
            var events = BlockLength;
            if (nextJoin < _joins.Count && _joins[nextJoin].Index == h)
            {
                var join = _joins[nextJoin++];
                VectorOps.ScaledDifference(_gradient, _behaviourGradient, join.Gradient, 1f);

                gradient = _gradient;
                biasGradient -= join.BiasGradient;
                squares -= join.Squares;
                biasSquares -= join.BiasSquares;
                events -= join.Events;
            }

            for (var x = 0; x < _exclusions.Count; x++)
            {
                var (excludedRow, vector, bias) = _exclusions[x];
                if (excludedRow != row)
                {
                    continue;
                }

                if (ReferenceEquals(gradient, _behaviourGradient))
                {
                    _behaviourGradient.CopyTo(_gradient, 0);
                    gradient = _gradient;
                }

                VectorOps.AddScaled(gradient, vector, -1f);
                biasGradient -= bias;
            }

            if (events <= 0)
            {
                continue;
            }

            var weight = weights[h];
            if (!_eventSized)
            {
                StepVector(_users, _anchorUsers, row, gradient, weight);
                if (!pairwise)
                {
                    StepBias(_users, _anchorUsers, row, weight * biasGradient);
                }

                continue;
            }

            StepDeferred(row, gradient, weight, events, weight * weight * Math.Max(squares, 0f));
            if (!pairwise)
            {
                StepDeferredBias(row, weight * biasGradient, events, weight * weight * Math.Max(biasSquares, 0f));
            }
        }

        _blockUser = -1;
        _blockProfile = SparseFeatures.Empty;
        BlockLength = 0;
        ReleaseExclusions();
    }

    private double PairwiseStep(int user, float weight, SparseFeatures positive, EncodedCatalog items, NegativeSampler negatives)
    {
        var positiveBias = SumWeighted(_items, positive.Rows, positive.Weights, _q);
        var positiveScore = positiveBias + VectorOps.Dot(_p, _q);
        float g;
        int negativeItem;
        SparseFeatures negative;
        double loss;
        if (_loss == LossKind.Bpr)
        {
            // Dynamic negative sampling: of NegativeSamples uniform draws, the one the model ranks highest is
            // the most informative negative (Zhang et al., SIGIR 2013); one draw is plain BPR.
            negativeItem = -1;
            negative = SparseFeatures.Empty;
            var negativeScore = float.NegativeInfinity;
            for (var n = 0; n < _negatives; n++)
            {
                var candidate = negatives.Draw(user, _random);
                if (candidate < 0)
                {
                    break;
                }

                var features = items.Get(candidate);
                var candidateBias = SumWeighted(_items, features.Rows, features.Weights, _qCandidate);
                var candidateScore = candidateBias + VectorOps.Dot(_p, _qCandidate);
                if (candidateScore > negativeScore)
                {
                    negativeScore = candidateScore;
                    negativeItem = candidate;
                    negative = features;
                    _qCandidate.CopyTo(_qNegative, 0);
                }
            }

            if (negativeItem < 0)
            {
                Array.Clear(_direction);
                return 0;
            }

            g = LossFunctions.Bpr(positiveScore - negativeScore, out var bprLoss) * weight;
            loss = weight * bprLoss;
        }
        else
        {
            negativeItem = -1;
            negative = SparseFeatures.Empty;
            var trials = 0;
            var violation = 0f;
            while (trials < _maxWarpTrials)
            {
                trials++;
                var candidate = negatives.Draw(user, _random);
                if (candidate < 0)
                {
                    break;
                }

                var features = items.Get(candidate);
                var candidateBias = SumWeighted(_items, features.Rows, features.Weights, _qNegative);
                var candidateScore = candidateBias + VectorOps.Dot(_p, _qNegative);
                violation = candidateScore - positiveScore + _warpMargin;
                if (violation > 0f)
                {
                    negativeItem = candidate;
                    negative = features;
                    break;
                }
            }

            if (negativeItem < 0)
            {
                Array.Clear(_direction);
                return 0;
            }

            var rankWeight = LossFunctions.WarpRankWeight(negatives.ItemCount, trials);

            g = -rankWeight * weight;
            loss = rankWeight * weight * violation;
        }

        // d(loss)/d(score_pos) = g, d(loss)/d(score_neg) = -g.
        StepItemRows(positive, _p, g);
        StepItemRows(negative, _p, -g);
        VectorOps.ScaledDifference(_direction, _q, _qNegative, g);

        return loss;
    }

    private float PointwiseGradient(float score, float target, out double loss)
    {
        if (!float.IsFinite(score))
        {
            throw new ModelDivergedException("A score became non-finite during training; lower the learning rate.");
        }

        return LossFunctions.Pointwise(_loss, score, target, out loss);
    }

    private void StepItemRows(SparseFeatures item, ReadOnlySpan<float> p, float g)
    {
        for (var i = 0; i < item.Rows.Length; i++)
        {
            var x = item.Weights[i];
            var row = item.Rows[i];
            StepVector(_items, _anchorItems, row, p, g * x);
            StepBias(_items, _anchorItems, row, g * x);
        }
    }

    /// <summary>AdaGrad step of one row: g = scale·direction + λ·w + λ_anchor·(w − w_parent).</summary>
    private void StepVector(EmbeddingTable table, EmbeddingTable? anchor, int row, ReadOnlySpan<float> direction, float scale)
    {
        if ((uint)row >= (uint)table.Rows)
        {
            return;
        }

        Journal?.Save(table, row);
        var anchorWeights = anchor is not null && row < anchor.Rows ? anchor.Vectors.AsSpan(row * _rank, _rank) : default;
        var accumulator = VectorOps.AdaGradStep(
            table.Vectors.AsSpan(row * _rank, _rank), direction, scale, _l2, anchorWeights, _anchorL2,
            table.VectorAccumulators[row], LearningRate, _rowGradient);
        if (!float.IsFinite(accumulator))
        {
            throw new ModelDivergedException($"A gradient became non-finite at row {row}; lower the learning rate.");
        }

        table.VectorAccumulators[row] = accumulator;
    }

    private void StepDeferred(int row, ReadOnlySpan<float> direction, float scale, int events, float meanSquares)
    {
        if ((uint)row >= (uint)_users.Rows)
        {
            return;
        }

        Journal?.Save(_users, row);
        var anchorWeights = _anchorUsers is not null && row < _anchorUsers.Rows ? _anchorUsers.Vectors.AsSpan(row * _rank, _rank) : default;
        var accumulator = VectorOps.DeferredAdaGradStep(
            _users.Vectors.AsSpan(row * _rank, _rank), direction, scale, _l2, anchorWeights, _anchorL2, events, meanSquares,
            _users.VectorAccumulators[row], LearningRate, _rowGradient);
        if (!float.IsFinite(accumulator))
        {
            throw new ModelDivergedException($"A gradient became non-finite at row {row}; lower the learning rate.");
        }

        _users.VectorAccumulators[row] = accumulator;
    }

    private void StepDeferredBias(int row, float direction, int events, float squares)
    {
        if ((uint)row >= (uint)_users.Rows || BiasLearningRate == 0f)
        {
            return;
        }

        Journal?.Save(_users, row);
        var bias = _users.Biases[row];
        var g = direction + (events * _biasL2 * bias);
        if (_anchorUsers is not null && row < _anchorUsers.Rows && _anchorL2 > 0f)
        {
            g += events * _anchorL2 * (bias - _anchorUsers.Biases[row]);
        }

        var updated = bias - (BiasLearningRate / MathF.Sqrt(_users.BiasAccumulators[row]) * g);
        var accumulator = _users.BiasAccumulators[row] + squares;
        if (!float.IsFinite(updated) || !float.IsFinite(accumulator))
        {
            throw new ModelDivergedException($"A bias became non-finite at row {row}; lower the learning rate.");
        }

        _users.BiasAccumulators[row] = accumulator;
        _users.Biases[row] = updated;
    }

    private void StepBias(EmbeddingTable table, EmbeddingTable? anchor, int row, float direction)
    {
        if ((uint)row >= (uint)table.Rows || BiasLearningRate == 0f)
        {
            return;
        }

        Journal?.Save(table, row);
        var bias = table.Biases[row];
        var g = direction + (_biasL2 * bias);
        if (anchor is not null && row < anchor.Rows && _anchorL2 > 0f)
        {
            g += _anchorL2 * (bias - anchor.Biases[row]);
        }

        var accumulator = table.BiasAccumulators[row] + (g * g);
        var updated = bias - (BiasLearningRate / MathF.Sqrt(accumulator) * g);
        if (!float.IsFinite(updated) || !float.IsFinite(accumulator))
        {
            throw new ModelDivergedException($"A bias became non-finite at row {row}; lower the learning rate.");
        }

        table.BiasAccumulators[row] = accumulator;
        table.Biases[row] = updated;
    }

    private float SumWeighted(EmbeddingTable table, int[] rows, float[] weights, float[] into)
        => SumWeighted(table, rows.AsSpan(), weights.AsSpan(), into);

    private float SumWeighted(EmbeddingTable table, ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, float[] into)
    {
        RecommenderModel.Sum(table, rows, weights, into, out var bias);
        return bias;
    }

    private static float SumRows(EmbeddingTable table, ReadOnlySpan<int> rows, ReadOnlySpan<float> values, float[] into)
    {
        Array.Clear(into);
        var bias = 0f;
        for (var h = 0; h < rows.Length; h++)
        {
            var row = rows[h];
            if ((uint)row >= (uint)table.Rows)
            {
                continue;
            }

            VectorOps.AddScaled(into, table.Vector(row), values[h]);
            bias += values[h] * table.Biases[row];
        }

        return bias;
    }

    private float[] RentVector() => _spareVectors.Count > 0 ? _spareVectors.Pop() : new float[_rank];

    private void ReleaseExclusions()
    {
        foreach (var (_, vector, _) in _exclusions)
        {
            _spareVectors.Push(vector);
        }

        foreach (var join in _joins)
        {
            _spareVectors.Push(join.Gradient);
        }

        _exclusions.Clear();
        _joins.Clear();
    }

    /// <summary>What the block had collected when a behaviour row joined it (the row's share is what came after).</summary>
    private readonly record struct Join(int Index, float[] Gradient, float BiasGradient, float Squares, float BiasSquares, int Events);
}
