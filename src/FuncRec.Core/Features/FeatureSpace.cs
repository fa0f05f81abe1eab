namespace FuncRec.Core.Features;

/// <summary>
/// Maps feature values to rows of the user and item embedding tables. Each hashed or numeric group owns a
/// fixed block of rows at the start of its table; dictionary groups (ids, behaviour, social, categorical)
/// append a row per new value as training meets it. Lookups never grow the space unless asked to, so a
/// published model's space is read-only and safe to share between threads.
/// </summary>
public sealed class FeatureSpace
{
    private readonly SideSpace _user;
    private readonly SideSpace _item;

    public FeatureSpace(FeatureSchema schema)
    {
        Schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _user = new SideSpace(schema.UserGroups);
        _item = new SideSpace(schema.ItemGroups);
    }

    public FeatureSchema Schema { get; }

    /// <summary>Rows currently used on a side (reserved + dictionary).</summary>
    public int RowCount(FeatureSide side) => Side(side).RowCount;

    /// <summary>Index of a group within its side, or -1.</summary>
    public int GroupIndex(FeatureSide side, string name) => Side(side).IndexOf(name);

    /// <summary>Finds the row of a value in a dictionary or hashed group, adding it when <paramref name="grow"/> is set and room is left.</summary>
    public bool TryGetRow(FeatureSide side, int groupIndex, ReadOnlySpan<char> value, bool grow, out int row)
        => Side(side).TryGetRow(groupIndex, value, grow, out row);

    /// <summary>The row of a numeric value in a Numeric group.</summary>
    public int NumericRow(FeatureSide side, int groupIndex, double value) => Side(side).NumericRow(groupIndex, value);

    /// <summary>A readable name for a row, for explanations ("genre=Comedy", "title#123", "age[25,35)").</summary>
    public string DescribeRow(FeatureSide side, int row) => Side(side).Describe(row);

    /// <summary>The group a row belongs to.</summary>
    public FeatureGroup GroupOfRow(FeatureSide side, int row) => Side(side).GroupOfRow(row);

    /// <summary>Dictionary entries of a group in row order (for persistence).</summary>
    public IReadOnlyList<(int Group, string Value)> DictionaryEntries(FeatureSide side) => Side(side).Entries;

    /// <summary>Restores a dictionary entry read from a model file; entries must come in row order.</summary>
    internal void RestoreEntry(FeatureSide side, int groupIndex, string value) => Side(side).Restore(groupIndex, value);

    /// <summary>Removes the dictionary entries added after the first <paramref name="count"/> (undoing growth).</summary>
    internal void TruncateEntries(FeatureSide side, int count) => Side(side).Truncate(count);

    /// <summary>A deep copy whose growth does not affect this space (used to fine-tune a child from a parent).</summary>
    public FeatureSpace Clone()
    {
        var copy = new FeatureSpace(Schema);
        foreach (var side in new[] { FeatureSide.User, FeatureSide.Item })
        {
            foreach (var (group, value) in DictionaryEntries(side))
            {
                copy.RestoreEntry(side, group, value);
            }
        }

        return copy;
    }

    private SideSpace Side(FeatureSide side) => side == FeatureSide.User ? _user : _item;

    private sealed class SideSpace
    {
        private readonly IReadOnlyList<FeatureGroup> _groups;
        private readonly int[] _reservedOffset;
        private readonly Dictionary<string, int>?[] _vocabulary;
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>[] _lookup;
        private readonly List<(int Group, string Value)> _entries = [];
        private readonly int _reservedRows;

        public SideSpace(IReadOnlyList<FeatureGroup> groups)
        {
            _groups = groups;
            _reservedOffset = new int[groups.Count];
            _vocabulary = new Dictionary<string, int>?[groups.Count];
            _lookup = new Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>[groups.Count];
            var offset = 0;
            for (var g = 0; g < groups.Count; g++)
            {
                _reservedOffset[g] = offset;
                offset += groups[g].ReservedRows;
                if (groups[g].UsesDictionary)
                {
                    var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
                    _vocabulary[g] = vocabulary;
                    _lookup[g] = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
                }
            }

            _reservedRows = offset;
        }

        public int RowCount => _reservedRows + _entries.Count;

        public IReadOnlyList<(int Group, string Value)> Entries => _entries;

        public int IndexOf(string name)
        {
            for (var g = 0; g < _groups.Count; g++)
            {
                if (string.Equals(_groups[g].Name, name, StringComparison.Ordinal))
                {
                    return g;
                }
            }

            return -1;
        }

        public bool TryGetRow(int groupIndex, ReadOnlySpan<char> value, bool grow, out int row)
        {
            var group = _groups[groupIndex];
            if (group.IsHashedOnly)
            {
                row = _reservedOffset[groupIndex] + StableHash.Bucket(group.Name, value, group.HashBuckets);
                return true;
            }

            var vocabulary = _vocabulary[groupIndex];
            if (vocabulary is not null)
            {
                if (_lookup[groupIndex].TryGetValue(value, out row))
                {
                    return true;
                }

                var full = group.MaxVocabulary > 0 && vocabulary.Count >= group.MaxVocabulary;
                if (grow && !full)
                {
                    row = RowCount;
                    var text = value.ToString();
                    vocabulary.Add(text, row);
                    _entries.Add((groupIndex, text));
                    return true;
                }

                if (group.HashBuckets > 0 && full)
                {
                    // Ids beyond the dictionary's room share hashed rows; unknown ids at scoring time stay unknown
                    // (their own online state, not a random bucket, should speak for them).
                    row = _reservedOffset[groupIndex] + StableHash.Bucket(group.Name, value, group.HashBuckets);
                    return true;
                }
            }

            row = -1;
            return false;
        }

        public int NumericRow(int groupIndex, double value)
        {
            var boundaries = _groups[groupIndex].Boundaries!;
            var bucket = 0;
            while (bucket < boundaries.Count && value >= boundaries[bucket])
            {
                bucket++;
            }

            return _reservedOffset[groupIndex] + bucket;
        }

        public void Restore(int groupIndex, string value)
        {
            if (groupIndex < 0 || groupIndex >= _groups.Count || _vocabulary[groupIndex] is not { } vocabulary)
            {
                throw new InvalidDataException($"Dictionary entry for group #{groupIndex}, which has no dictionary.");
            }

            if (!vocabulary.TryAdd(value, RowCount))
            {
                throw new InvalidDataException($"Duplicate dictionary entry '{value}' in group '{_groups[groupIndex].Name}'.");
            }

            _entries.Add((groupIndex, value));
        }

        public void Truncate(int count)
        {
            for (var i = _entries.Count - 1; i >= count; i--)
            {
                var (group, value) = _entries[i];
                _vocabulary[group]!.Remove(value);
                _entries.RemoveAt(i);
            }
        }

        public FeatureGroup GroupOfRow(int row)
        {
            if (row >= _reservedRows)
            {
                return _groups[_entries[row - _reservedRows].Group];
            }

            for (var g = _groups.Count - 1; g >= 0; g--)
            {
                if (_groups[g].ReservedRows > 0 && row >= _reservedOffset[g])
                {
                    return _groups[g];
                }
            }

            throw new ArgumentOutOfRangeException(nameof(row));
        }

        public string Describe(int row)
        {
            if (row >= _reservedRows)
            {
                var (group, value) = _entries[row - _reservedRows];
                return $"{_groups[group].Name}={value}";
            }

            var owner = GroupOfRow(row);
            var index = IndexOf(owner.Name);
            var local = row - _reservedOffset[index];
            if (owner.Kind == FeatureGroupKind.Numeric)
            {
                var b = owner.Boundaries!;
                var low = local == 0 ? "-inf" : b[local - 1].ToString(System.Globalization.CultureInfo.InvariantCulture);
                var high = local == b.Count ? "inf" : b[local].ToString(System.Globalization.CultureInfo.InvariantCulture);
                return $"{owner.Name}[{low},{high})";
            }

            return $"{owner.Name}#{local}";
        }
    }
}
