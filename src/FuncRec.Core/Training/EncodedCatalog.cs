using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>
/// The profile-derived rows of every entity of a catalog under one model, encoded once and cached; for item
/// catalogs also each item's Behaviour row on the user side. Growing mode (training) adds unseen values to the
/// model's feature space; reading mode (scoring) leaves it alone.
/// </summary>
internal sealed class EncodedCatalog
{
    private readonly RecommenderModel _model;
    private readonly EntityCatalog _catalog;
    private readonly FeatureSide _side;
    private readonly bool _grow;
    private readonly FeatureVector _buffer = new(32);
    private SparseFeatures?[] _encoded = [];
    private int[] _behaviourRows = [];

    public EncodedCatalog(RecommenderModel model, EntityCatalog catalog, FeatureSide side, bool grow)
    {
        _model = model;
        _catalog = catalog;
        _side = side;
        _grow = grow;
    }

    public SparseFeatures Get(int index)
    {
        if (index >= _encoded.Length)
        {
            Array.Resize(ref _encoded, Math.Max(index + 1, Math.Max(_catalog.Count, _encoded.Length * 2)));
        }

        if (_encoded[index] is { } cached)
        {
            return cached;
        }

        _buffer.Clear();
        _model.Encoder.EncodeProfile(_side, _catalog[index], _grow, _buffer);
        var encoded = _buffer.ToSparse();
        _encoded[index] = encoded;
        if (_grow)
        {
            _model.SyncTablesWithSpace();
        }

        return encoded;
    }

    /// <summary>The user-side Behaviour row for an item of this (item) catalog, or -1.</summary>
    public int BehaviourRow(int itemIndex)
    {
        if (itemIndex >= _behaviourRows.Length)
        {
            var old = _behaviourRows.Length;
            Array.Resize(ref _behaviourRows, Math.Max(itemIndex + 1, Math.Max(_catalog.Count, old * 2)));
            _behaviourRows.AsSpan(old).Fill(int.MinValue);
        }

        var row = _behaviourRows[itemIndex];
        if (row != int.MinValue)
        {
            return row;
        }

        row = _model.Encoder.TryGetBehaviourRow(_catalog[itemIndex].Id, _grow, out var found) ? found : -1;
        if (_grow && row >= 0)
        {
            _model.SyncTablesWithSpace();
        }

        _behaviourRows[itemIndex] = row;
        return row;
    }

    /// <summary>Forgets every cached encoding (after a rollback shrank the feature space).</summary>
    public void Reset()
    {
        Array.Clear(_encoded);
        _behaviourRows.AsSpan().Fill(int.MinValue);
    }

    /// <summary>Encodes every entity now (so a later read-only pass does not grow the space).</summary>
    public void EncodeAll(bool behaviourRowsToo)
    {
        for (var i = 0; i < _catalog.Count; i++)
        {
            Get(i);
            if (behaviourRowsToo)
            {
                BehaviourRow(i);
            }
        }
    }
}
