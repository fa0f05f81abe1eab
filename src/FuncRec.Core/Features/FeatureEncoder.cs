namespace FuncRec.Core.Features;

/// <summary>
/// Turns profiles, recent behaviour and request context into weighted table rows under a model's
/// <see cref="FeatureSpace"/>. Fields the schema does not know are counted and ignored, never an error, so
/// apps can send richer profiles than a model uses.
/// </summary>
public sealed class FeatureEncoder
{
    private readonly HashSet<string> _userFields;
    private readonly HashSet<string> _itemFields;
    private readonly int _behaviourGroup;
    private readonly int _idGroupUser;
    private readonly int _idGroupItem;
    private long _unknownFields;
    private long _unmappedValues;

    public FeatureEncoder(FeatureSpace space)
    {
        Space = space ?? throw new ArgumentNullException(nameof(space));
        var schema = space.Schema;
        _userFields = ReadFields(schema.UserGroups);
        _itemFields = ReadFields(schema.ItemGroups);
        _behaviourGroup = IndexOfKind(schema.UserGroups, FeatureGroupKind.Behaviour);
        _idGroupUser = IndexOfKind(schema.UserGroups, FeatureGroupKind.Id);
        _idGroupItem = IndexOfKind(schema.ItemGroups, FeatureGroupKind.Id);
    }

    public FeatureSpace Space { get; }

    /// <summary>Profile fields seen that no group reads (ignored).</summary>
    public long UnknownFieldCount => Interlocked.Read(ref _unknownFields);

    /// <summary>Values that mapped to no row: unknown ids when the space may not grow, non-numeric numbers.</summary>
    public long UnmappedValueCount => Interlocked.Read(ref _unmappedValues);

    public bool HasBehaviourGroup => _behaviourGroup >= 0;

    /// <summary>The Behaviour group definition, when the schema has one.</summary>
    public FeatureGroup? BehaviourGroup => _behaviourGroup >= 0 ? Space.Schema.UserGroups[_behaviourGroup] : null;

    /// <summary>Encodes the profile-derived features of a user or item: id, categorical, numeric, text and social groups.</summary>
    public void EncodeProfile(FeatureSide side, EntityProfile profile, bool grow, FeatureVector into)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var groups = Space.Schema.GroupsOf(side);
        var idGroup = side == FeatureSide.User ? _idGroupUser : _idGroupItem;
        if (idGroup >= 0)
        {
            AddValue(side, idGroup, profile.Id, groups[idGroup].Weight, grow, into);
        }

        var known = side == FeatureSide.User ? _userFields : _itemFields;
        foreach (var field in profile.Fields.Keys)
        {
            if (!known.Contains(field))
            {
                Interlocked.Increment(ref _unknownFields);
            }
        }

        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (group.Kind is FeatureGroupKind.Id or FeatureGroupKind.Behaviour or FeatureGroupKind.Context)
            {
                continue;
            }

            if (!profile.Fields.TryGetValue(group.SourceField, out var value))
            {
                continue;
            }

            var start = into.Count;
            switch (group.Kind)
            {
                case FeatureGroupKind.Numeric:
                    if (value.TryGetNumber(out var number))
                    {
                        into.Add(Space.NumericRow(side, g, number), group.Weight);
                    }
                    else
                    {
                        Interlocked.Increment(ref _unmappedValues);
                    }

                    break;
                case FeatureGroupKind.Text:
                    AddText(side, g, group, value, into);
                    break;
                default:
                    var count = group.MaxValues > 0 ? Math.Min(value.ValueCount, group.MaxValues) : value.ValueCount;
                    for (var v = 0; v < count; v++)
                    {
                        AddValue(side, g, value.ValueAt(v), group.Weight, grow, into);
                    }

                    break;
            }

            Normalize(group, into, start);
        }
    }

    /// <summary>
    /// Appends the Behaviour group's rows for recently interacted items, most recent last, each scaled by its
    /// interaction value as the group says (<see cref="FeatureGroup.ValueScale"/>); the cap keeps the newest.
    /// </summary>
    /// <param name="recentItemIds">Item ids, oldest first.</param>
    /// <param name="values">The value of the latest interaction with each item (same length), or null for implicit.</param>
    public void EncodeBehaviour(IReadOnlyList<string> recentItemIds, IReadOnlyList<float>? values, bool grow, FeatureVector into)
    {
        ArgumentNullException.ThrowIfNull(recentItemIds);
        if (values is not null && values.Count != recentItemIds.Count)
        {
            throw new ArgumentException("Behaviour values must match the item ids one to one.", nameof(values));
        }

        if (_behaviourGroup < 0 || recentItemIds.Count == 0)
        {
            return;
        }

        var group = Space.Schema.UserGroups[_behaviourGroup];
        var first = group.MaxValues > 0 ? Math.Max(0, recentItemIds.Count - group.MaxValues) : 0;
        var start = into.Count;
        for (var i = first; i < recentItemIds.Count; i++)
        {
            var weight = group.Weight * (values is null ? 1f : group.BehaviourWeight(values[i]));
            AddValue(FeatureSide.User, _behaviourGroup, recentItemIds[i], weight, grow, into);
        }

        Normalize(group, into, start);
    }

    /// <summary>
    /// One interacted item's Behaviour row and weight before normalisation, as <see cref="EncodeBehaviour"/> would add
    /// it (row -1 when the item maps to none), for callers that keep them between encodings of the same history.
    /// </summary>
    public (int Row, float Weight) BehaviourEntry(string itemId, float value)
    {
        if (_behaviourGroup < 0)
        {
            return (-1, 0f);
        }

        var group = Space.Schema.UserGroups[_behaviourGroup];
        var row = Space.TryGetRow(FeatureSide.User, _behaviourGroup, itemId, grow: false, out var found) ? found : -1;
        return (row, group.Weight * group.BehaviourWeight(value));
    }

    /// <summary>
    /// Appends Behaviour entries found by <see cref="BehaviourEntry"/> (oldest first), exactly as
    /// <see cref="EncodeBehaviour"/> would for the same items and values: the newest the group keeps, unmapped ones
    /// counted and left out, then normalised.
    /// </summary>
    public void AppendBehaviour(ReadOnlySpan<int> rows, ReadOnlySpan<float> weights, FeatureVector into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (rows.Length != weights.Length)
        {
            throw new ArgumentException("Behaviour weights must match the rows one to one.", nameof(weights));
        }

        if (_behaviourGroup < 0 || rows.Length == 0)
        {
            return;
        }

        var group = Space.Schema.UserGroups[_behaviourGroup];
        var first = group.MaxValues > 0 ? Math.Max(0, rows.Length - group.MaxValues) : 0;
        var start = into.Count;
        for (var i = first; i < rows.Length; i++)
        {
            if (rows[i] >= 0)
            {
                into.Add(rows[i], weights[i]);
            }
            else
            {
                Interlocked.Increment(ref _unmappedValues);
            }
        }

        Normalize(group, into, start);
    }

    /// <summary>The behaviour row of one item id, for learners that keep histories as rows.</summary>
    public bool TryGetBehaviourRow(string itemId, bool grow, out int row)
    {
        if (_behaviourGroup < 0)
        {
            row = -1;
            return false;
        }

        return Space.TryGetRow(FeatureSide.User, _behaviourGroup, itemId, grow, out row);
    }

    /// <summary>Appends request context (key/value pairs) to a user vector; context never grows the space.</summary>
    public void EncodeContext(IReadOnlyDictionary<string, string>? context, FeatureVector into)
    {
        if (context is null || context.Count == 0)
        {
            return;
        }

        var groups = Space.Schema.UserGroups;
        Span<char> pair = stackalloc char[256];
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (group.Kind != FeatureGroupKind.Context)
            {
                continue;
            }

            var start = into.Count;
            foreach (var (key, value) in context)
            {
                if (group.Field is not null && !string.Equals(group.Field, key, StringComparison.Ordinal))
                {
                    continue;
                }

                var length = key.Length + 1 + value.Length;
                if (length > pair.Length)
                {
                    Interlocked.Increment(ref _unmappedValues);
                    continue;
                }

                key.AsSpan().CopyTo(pair);
                pair[key.Length] = '=';
                value.AsSpan().CopyTo(pair[(key.Length + 1)..]);
                Space.TryGetRow(FeatureSide.User, g, pair[..length], grow: false, out var row);
                into.Add(row, group.Weight);
            }

            Normalize(group, into, start);
        }
    }

    private void AddText(FeatureSide side, int groupIndex, FeatureGroup group, FeatureValue value, FeatureVector into)
    {
        Span<char> scratch = stackalloc char[TextTokenizer.MaxTokenLength];
        var remaining = group.MaxValues;
        for (var v = 0; v < value.ValueCount; v++)
        {
            var text = value.ValueAt(v);
            var length = 0;
            for (var i = 0; i <= text.Length; i++)
            {
                var c = i < text.Length ? text[i] : ' ';
                if (char.IsLetterOrDigit(c))
                {
                    if (length < scratch.Length)
                    {
                        scratch[length++] = char.ToLowerInvariant(c);
                    }

                    continue;
                }

                if (length >= 2)
                {
                    Space.TryGetRow(side, groupIndex, scratch[..length], grow: false, out var row);
                    into.Add(row, group.Weight);
                    if (group.MaxValues > 0 && --remaining == 0)
                    {
                        return;
                    }
                }

                length = 0;
            }
        }
    }

    private void AddValue(FeatureSide side, int groupIndex, string value, float weight, bool grow, FeatureVector into)
    {
        if (Space.TryGetRow(side, groupIndex, value, grow, out var row))
        {
            into.Add(row, weight);
        }
        else
        {
            Interlocked.Increment(ref _unmappedValues);
        }
    }

    private static void Normalize(FeatureGroup group, FeatureVector into, int start)
    {
        var n = into.Count - start;
        if (n <= 1)
        {
            return;
        }

        switch (group.Normalization)
        {
            case FeatureNormalization.Mean:
                into.ScaleFrom(start, 1f / n);
                break;
            case FeatureNormalization.InverseSqrt:
                into.ScaleFrom(start, 1f / MathF.Sqrt(n));
                break;
        }
    }

    private static HashSet<string> ReadFields(IReadOnlyList<FeatureGroup> groups)
        => groups.Where(g => g.Kind is not (FeatureGroupKind.Id or FeatureGroupKind.Behaviour or FeatureGroupKind.Context))
            .Select(g => g.SourceField).ToHashSet(StringComparer.Ordinal);

    private static int IndexOfKind(IReadOnlyList<FeatureGroup> groups, FeatureGroupKind kind)
    {
        for (var g = 0; g < groups.Count; g++)
        {
            if (groups[g].Kind == kind)
            {
                return g;
            }
        }

        return -1;
    }
}
