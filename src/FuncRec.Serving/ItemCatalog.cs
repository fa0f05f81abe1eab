using System.Collections.Immutable;
using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Serving;

/// <summary>
/// The items a scorer recommends from, as the exported graph reads them: each item's vector q and bias b_i,
/// computed from its profile by the model's encoder and item table, in contiguous arrays indexed by a stable
/// catalog index. Because the graph takes these arrays as inputs, an item upserted after the model was exported
/// is scorable and recommendable on the next call.
/// <para>
/// Concurrency: any number of readers, one writer at a time (writers serialise on a lock). Readers take
/// <see cref="Current"/>, an immutable <see cref="ItemCatalogSnapshot"/>, with one volatile read and never
/// block. A new item is written past the published count, where no snapshot looks, and then published with a
/// new snapshot: O(k) amortised. Replacing an existing item copies the vector arrays (copy-on-write) so no
/// reader ever sees a half-written vector: O(m·k) once per <see cref="UpsertMany"/> batch, so replace in batches.
/// </para>
/// <para>
/// The vectors belong to the model they were computed with: build a new catalog for a new model, and do not
/// train the model while a catalog reads it. An item id the model never saw contributes nothing; its other
/// features (categories, text, numbers) still do, which is what cold-start scoring needs.
/// </para>
/// </summary>
public sealed class ItemCatalog
{
    private readonly Lock _writeLock = new();
    private readonly RecommenderModel _model;
    private readonly string? _categoryField;
    private readonly FeatureVector _features = new(32);
    private readonly List<string[]> _categoriesOfItem = [];
    private ItemCatalogSnapshot _current;

    public ItemCatalog(RecommenderModel model, ItemCatalogOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ItemCatalogOptions();
        options.Validate();
        if (!model.IsFitted)
        {
            throw new ModelNotFittedException();
        }

        _model = model;
        _categoryField = options.CategoryField;
        var capacity = options.InitialCapacity;
        _current = new ItemCatalogSnapshot(
            model,
            0,
            AllocatePinned(capacity * model.Rank),
            AllocatePinned(capacity),
            new string[capacity],
            ItemIdIndex.Empty,
            ImmutableDictionary.Create<string, ImmutableArray<int>>(StringComparer.Ordinal));
    }

    public RecommenderModel Model => _model;

    /// <summary>The latest published snapshot; hold on to it for the length of one request.</summary>
    public ItemCatalogSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Adds an item or replaces the one with the same id; returns its (stable) index.</summary>
    public int Upsert(EntityProfile item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return UpsertMany([item]).IndexOf(item.Id);
    }

    /// <summary>
    /// Adds or replaces a batch of items and publishes them together in one new snapshot, which it returns.
    /// When an item appears twice in the batch, the last profile wins. Nothing is published if encoding fails.
    /// </summary>
    public ItemCatalogSnapshot UpsertMany(IEnumerable<EntityProfile> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_writeLock)
        {
            var published = _current;
            var rank = _model.Rank;
            var vectors = published.Vectors;
            var biases = published.Biases;
            var ids = published.Ids;
            var count = published.Count;
            var copiedOnWrite = false;
            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            var categoryChanges = new Dictionary<string, (HashSet<int> Removed, List<int> Added)>(StringComparer.Ordinal);
            var newCategories = new Dictionary<int, string[]>();

            foreach (var item in items)
            {
                ArgumentNullException.ThrowIfNull(item, nameof(items));
                if (published.IndexById.TryGetValue(item.Id, out var index) || added.TryGetValue(item.Id, out index))
                {
                    // Rows below the published count are visible to readers: write them only in a private copy.
                    if (index < published.Count && !copiedOnWrite)
                    {
                        vectors = CopyPinned(vectors, vectors.Length);
                        biases = CopyPinned(biases, biases.Length);
                        copiedOnWrite = true;
                    }
                }
                else
                {
                    index = count++;
                    if (count > biases.Length)
                    {
                        var capacity = Math.Max(count, biases.Length * 2);
                        vectors = CopyPinned(vectors, capacity * rank);
                        biases = CopyPinned(biases, capacity);
                        Array.Resize(ref ids, capacity);
                        copiedOnWrite = true;
                    }

                    ids[index] = item.Id;
                    added.Add(item.Id, index);
                }

                _features.Clear();
                _model.Encoder.EncodeProfile(FeatureSide.Item, item, grow: false, _features);
                _model.ItemVector(_features, vectors.AsSpan(index * rank, rank), out biases[index]);
                if (_categoryField is not null)
                {
                    var previous = newCategories.TryGetValue(index, out var pending) ? pending
                        : index < _categoriesOfItem.Count ? _categoriesOfItem[index] : [];
                    var next = CategoriesOf(item);
                    RecordCategoryChange(categoryChanges, index, previous, next);
                    newCategories[index] = next;
                }
            }

            var snapshot = new ItemCatalogSnapshot(
                _model,
                count,
                vectors,
                biases,
                ids,
                published.IndexById.With(added),
                ApplyCategoryChanges(published.ItemsByCategory, categoryChanges));
            foreach (var (index, categories) in newCategories.OrderBy(pair => pair.Key))
            {
                if (index < _categoriesOfItem.Count)
                {
                    _categoriesOfItem[index] = categories;
                }
                else
                {
                    _categoriesOfItem.Add(categories);
                }
            }

            Volatile.Write(ref _current, snapshot);
            return snapshot;
        }
    }

    private string[] CategoriesOf(EntityProfile item)
    {
        if (!item.Fields.TryGetValue(_categoryField!, out var value))
        {
            return [];
        }

        var categories = new string[value.ValueCount];
        for (var v = 0; v < categories.Length; v++)
        {
            categories[v] = value.ValueAt(v);
        }

        return categories.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static void RecordCategoryChange(Dictionary<string, (HashSet<int> Removed, List<int> Added)> changes, int index, string[] previous, string[] next)
    {
        foreach (var category in previous)
        {
            if (Array.IndexOf(next, category) < 0)
            {
                Changes(changes, category).Removed.Add(index);
            }
        }

        foreach (var category in next)
        {
            if (Array.IndexOf(previous, category) < 0)
            {
                var change = Changes(changes, category);
                if (!change.Removed.Remove(index))
                {
                    change.Added.Add(index);
                }
            }
        }
    }

    private static (HashSet<int> Removed, List<int> Added) Changes(Dictionary<string, (HashSet<int> Removed, List<int> Added)> changes, string category)
    {
        if (!changes.TryGetValue(category, out var change))
        {
            change = ([], []);
            changes.Add(category, change);
        }

        return change;
    }

    /// <summary>Rebuilds only the categories a batch touched, each once, kept in index order.</summary>
    private static ImmutableDictionary<string, ImmutableArray<int>> ApplyCategoryChanges(
        ImmutableDictionary<string, ImmutableArray<int>> published,
        Dictionary<string, (HashSet<int> Removed, List<int> Added)> changes)
    {
        if (changes.Count == 0)
        {
            return published;
        }

        var result = published.ToBuilder();
        foreach (var (category, (removed, added)) in changes)
        {
            var members = published.TryGetValue(category, out var existing) ? existing : ImmutableArray<int>.Empty;
            var updated = members.Where(index => !removed.Contains(index)).Concat(added).Order().ToImmutableArray();
            if (updated.IsEmpty)
            {
                result.Remove(category);
            }
            else
            {
                result[category] = updated;
            }
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Pinned (pinned-object heap) so ONNX Runtime can read the arrays in place for as long as a snapshot lives,
    /// without pinning handles fragmenting the ordinary heap.
    /// </summary>
    private static float[] AllocatePinned(int length) => GC.AllocateArray<float>(length, pinned: true);

    private static float[] CopyPinned(float[] source, int length)
    {
        var copy = AllocatePinned(length);
        source.AsSpan(0, Math.Min(source.Length, length)).CopyTo(copy);
        return copy;
    }
}
