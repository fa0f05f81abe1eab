using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>
/// Scores users against a whole catalog with a frozen model: item vectors are computed once into a matrix, a
/// user's vector from their profile and their known items (behaviour). Used by evaluation and offline
/// recommendation. Reading only: unknown ids contribute nothing, so held-out items score from their features
/// alone (cold start). Safe for concurrent readers after construction.
/// </summary>
public sealed class CatalogScorer
{
    private readonly RecommenderModel _model;
    private readonly EntityCatalog _users;
    private readonly BehaviourIndex? _behaviour;
    private readonly SparseFeatures[] _userProfiles;
    private readonly int[] _behaviourRowOfItem;
    private readonly float[] _itemMatrix;
    private readonly float[] _itemBiases;
    private readonly FeatureGroup? _behaviourGroup;
    private readonly float _behaviourWeight;
    private readonly FeatureNormalization _behaviourNormalization;

    public CatalogScorer(RecommenderModel model, EntityCatalog users, EntityCatalog items, BehaviourIndex? behaviour)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.EnsureFitted();
        _model = model;
        _users = users;
        Items = items;
        _behaviour = behaviour;
        var buffer = new FeatureVector(32);
        _userProfiles = new SparseFeatures[users.Count];
        for (var u = 0; u < users.Count; u++)
        {
            buffer.Clear();
            model.Encoder.EncodeProfile(FeatureSide.User, users[u], grow: false, buffer);
            _userProfiles[u] = buffer.ToSparse();
        }

        var rank = model.Rank;
        _itemMatrix = new float[items.Count * rank];
        _itemBiases = new float[items.Count];
        _behaviourRowOfItem = new int[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            buffer.Clear();
            model.Encoder.EncodeProfile(FeatureSide.Item, items[i], grow: false, buffer);
            model.ItemVector(buffer, _itemMatrix.AsSpan(i * rank, rank), out _itemBiases[i]);
            _behaviourRowOfItem[i] = model.Encoder.TryGetBehaviourRow(items[i].Id, grow: false, out var row) ? row : -1;
        }

        var group = model.Encoder.BehaviourGroup;
        _behaviourGroup = group;
        _behaviourWeight = group?.Weight ?? 0f;
        _behaviourNormalization = group?.Normalization ?? FeatureNormalization.None;
    }

    public EntityCatalog Items { get; }

    public RecommenderModel Model => _model;

    /// <summary>The user's vector and bias from profile and known items (leaving out <paramref name="excludeItem"/>).</summary>
    public float UserVector(int user, Span<float> into, int excludeItem = -1)
    {
        var profile = _userProfiles[user];
        RecommenderModel.Sum(_model.UserTable, profile.Rows, profile.Weights, into, out var bias);
        if (_behaviour is null)
        {
            return bias;
        }

        var known = _behaviour.Of(user);
        var values = _behaviour.ValuesOf(user);
        Span<int> rows = known.Length <= 1024 ? stackalloc int[known.Length] : new int[known.Length];
        Span<float> weights = known.Length <= 1024 ? stackalloc float[known.Length] : new float[known.Length];
        var count = 0;
        for (var i = 0; i < known.Length; i++)
        {
            var item = known[i];
            if (item == excludeItem || (uint)item >= (uint)_behaviourRowOfItem.Length)
            {
                continue;
            }

            var row = _behaviourRowOfItem[item];
            if (row >= 0 && row < _model.UserTable.Rows)
            {
                rows[count] = row;
                weights[count] = _behaviourGroup!.BehaviourWeight(values[i]);
                count++;
            }
        }

        if (count == 0)
        {
            return bias;
        }

        var coefficient = _behaviourNormalization switch
        {
            FeatureNormalization.Mean => _behaviourWeight / count,
            FeatureNormalization.InverseSqrt => _behaviourWeight / MathF.Sqrt(count),
            _ => _behaviourWeight,
        };
        for (var h = 0; h < count; h++)
        {
            var weight = coefficient * weights[h];
            VectorOps.AddScaled(into, _model.UserTable.Vector(rows[h]), weight);
            bias += weight * _model.UserTable.Biases[rows[h]];
        }

        return bias;
    }

    /// <summary>The model's prediction for one pair, clipped to the rating range.</summary>
    public float Predict(int user, int item)
    {
        Span<float> p = stackalloc float[_model.Rank];
        var bias = UserVector(user, p, item);
        return _model.Clip(_model.Score(p, bias, _itemMatrix.AsSpan(item * _model.Rank, _model.Rank), _itemBiases[item]));
    }

    /// <summary>Raw scores of every catalog item for the user.</summary>
    public void ScoreAll(int user, Span<float> scores)
    {
        Span<float> p = stackalloc float[_model.Rank];
        var bias = UserVector(user, p);
        var rank = _model.Rank;
        var constant = _model.GlobalMean + bias;
        for (var i = 0; i < Items.Count; i++)
        {
            scores[i] = constant + _itemBiases[i] + VectorOps.Dot(p, _itemMatrix.AsSpan(i * rank, rank));
        }
    }

    /// <summary>Raw score of one item given a user vector computed by <see cref="UserVector"/>.</summary>
    public float ScoreWith(ReadOnlySpan<float> userVector, float userBias, int item)
        => _model.Score(userVector, userBias, _itemMatrix.AsSpan(item * _model.Rank, _model.Rank), _itemBiases[item]);
}
