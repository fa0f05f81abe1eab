using FuncRec.Core.Model;

namespace FuncRec.Core.Training;

/// <summary>
/// Remembers the parameters of every row an update batch touches, the first time it touches it, so a batch
/// that diverges can be undone and the model left exactly as it was before the batch.
/// </summary>
internal sealed class UpdateJournal
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<EmbeddingTable, int[]> _stamps = new(ReferenceEqualityComparer.Instance);
    private float[] _saved = new float[1024];
    private int _used;
    private int _generation;
    private float _savedGlobalMean;
    private float? _savedMin;
    private float? _savedMax;
    private bool _savedFitted;
    private long _savedTrainedEvents;
    private int _savedUserEntries;
    private int _savedItemEntries;
    private RecommenderModel? _model;

    public void Begin(RecommenderModel model)
    {
        _generation++;
        _entries.Clear();
        _used = 0;
        _model = model;
        _savedGlobalMean = model.GlobalMean;
        _savedMin = model.MinValue;
        _savedMax = model.MaxValue;
        _savedFitted = model.IsFitted;
        _savedTrainedEvents = model.TrainedEvents;
        _savedUserEntries = model.Space.DictionaryEntries(Features.FeatureSide.User).Count;
        _savedItemEntries = model.Space.DictionaryEntries(Features.FeatureSide.Item).Count;
    }

    public void Save(EmbeddingTable table, int row)
    {
        if (!_stamps.TryGetValue(table, out var stamps) || stamps.Length <= row)
        {
            var grown = new int[Math.Max(row + 1, Math.Max(table.Rows, (stamps?.Length ?? 0) * 2))];
            stamps?.CopyTo(grown, 0);
            _stamps[table] = stamps = grown;
        }

        if (stamps[row] == _generation)
        {
            return;
        }

        stamps[row] = _generation;
        var rank = table.Rank;
        if (_used + rank > _saved.Length)
        {
            Array.Resize(ref _saved, Math.Max(_used + rank, _saved.Length * 2));
        }

        table.Vector(row).CopyTo(_saved.AsSpan(_used, rank));
        _entries.Add(new Entry(table, row, _used, table.Biases[row], table.VectorAccumulators[row], table.BiasAccumulators[row]));
        _used += rank;
    }

    /// <summary>Puts every saved row back.</summary>
    public void Rollback()
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            var e = _entries[i];
            _saved.AsSpan(e.Offset, e.Table.Rank).CopyTo(e.Table.MutableVector(e.Row));
            e.Table.Biases[e.Row] = e.Bias;
            e.Table.VectorAccumulators[e.Row] = e.VectorAccumulator;
            e.Table.BiasAccumulators[e.Row] = e.BiasAccumulator;
        }

        if (_model is not null)
        {
            _model.GlobalMean = _savedGlobalMean;
            _model.MinValue = _savedMin;
            _model.MaxValue = _savedMax;
            _model.IsFitted = _savedFitted;
            _model.TrainedEvents = _savedTrainedEvents;

            // Values first met in the failed batch leave the feature space, and their rows the tables.
            _model.Space.TruncateEntries(Features.FeatureSide.User, _savedUserEntries);
            _model.Space.TruncateEntries(Features.FeatureSide.Item, _savedItemEntries);
            _model.UserTable.Truncate(_model.Space.RowCount(Features.FeatureSide.User));
            _model.ItemTable.Truncate(_model.Space.RowCount(Features.FeatureSide.Item));
        }

        _entries.Clear();
        _used = 0;
        _generation++;
    }

    private readonly record struct Entry(EmbeddingTable Table, int Row, int Offset, float Bias, float VectorAccumulator, float BiasAccumulator);
}
