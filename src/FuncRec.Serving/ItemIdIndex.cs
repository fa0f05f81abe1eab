using System.Collections.Immutable;

namespace FuncRec.Serving;

/// <summary>
/// Item id → catalog index, immutable, in two parts: a hash table built once (a plain <see cref="Dictionary{TKey,TValue}"/>
/// that is never written after construction, so any number of threads may read it) and the ids added since, in an
/// <see cref="ImmutableDictionary{TKey,TValue}"/> that takes an addition in O(log n) without copying the table.
/// When the additions reach an eighth of the table, and at least <see cref="MinimumRebuild"/>, the next index folds
/// them into a new table: O(n) every n/8 additions, so O(1) amortised per item. The first ids (into an empty table)
/// are folded at once; below ~8,000 items up to 1,023 of the latest arrivals stay in the immutable part.
/// <para>
/// Why not one immutable dictionary: its lookups walk a tree of small objects, ~0.6 µs each at 10,000 items,
/// and a recommendation looks up every item the user has seen (up to 50) to exclude it. That was 12 % of the
/// server's CPU under recommend load; a hash table lookup is a few tens of nanoseconds.
/// </para>
/// </summary>
internal sealed class ItemIdIndex
{
    internal const int MinimumRebuild = 1024;

    private readonly Dictionary<string, int> _table;
    private readonly ImmutableDictionary<string, int> _added;

    public static ItemIdIndex Empty { get; } = new(new Dictionary<string, int>(StringComparer.Ordinal), ImmutableDictionary.Create<string, int>(StringComparer.Ordinal));

    private ItemIdIndex(Dictionary<string, int> table, ImmutableDictionary<string, int> added)
    {
        _table = table;
        _added = added;
    }

    public int Count => _table.Count + _added.Count;

    /// <summary>Ids in the hash table part (for tests of the rebuild policy).</summary>
    internal int TableCount => _table.Count;

    public bool TryGetValue(string id, out int index)
        => _table.TryGetValue(id, out index) || (_added.Count > 0 && _added.TryGetValue(id, out index));

    /// <summary>This index plus <paramref name="additions"/> (ids it does not hold); this one is left as it was.</summary>
    public ItemIdIndex With(IReadOnlyCollection<KeyValuePair<string, int>> additions)
    {
        if (additions.Count == 0)
        {
            return this;
        }

        // An empty table (a catalog's first load) is built at once, so a small catalog is a hash table too.
        if (_table.Count > 0 && _added.Count + additions.Count < Math.Max(MinimumRebuild, _table.Count / 8))
        {
            return new ItemIdIndex(_table, _added.AddRange(additions));
        }

        var table = new Dictionary<string, int>(_table, StringComparer.Ordinal);
        table.EnsureCapacity(Count + additions.Count);
        foreach (var (id, index) in _added.Concat(additions))
        {
            table.Add(id, index);
        }

        return new ItemIdIndex(table, _added.Clear());
    }
}
