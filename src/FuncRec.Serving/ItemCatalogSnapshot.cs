using System.Collections.Immutable;
using FuncRec.Core.Model;

namespace FuncRec.Serving;

/// <summary>
/// The catalog as it stood at one moment: items [0, <see cref="Count"/>) with their vectors and biases in
/// contiguous row-major arrays (the scorer hands them to ONNX Runtime without copying). Never changes once
/// published, so any number of threads may read it; a later upsert publishes a new snapshot instead.
/// </summary>
public sealed class ItemCatalogSnapshot
{
    private readonly string[] _ids;
    private readonly ItemIdIndex _indexById;
    private readonly ImmutableDictionary<string, ImmutableArray<int>> _itemsByCategory;

    internal ItemCatalogSnapshot(
        RecommenderModel model,
        int count,
        float[] vectors,
        float[] biases,
        string[] ids,
        ItemIdIndex indexById,
        ImmutableDictionary<string, ImmutableArray<int>> itemsByCategory)
    {
        Model = model;
        Count = count;
        Vectors = vectors;
        Biases = biases;
        _ids = ids;
        _indexById = indexById;
        _itemsByCategory = itemsByCategory;
    }

    /// <summary>The model whose item table computed the vectors (a scorer refuses a catalog of another model).</summary>
    public RecommenderModel Model { get; }

    public int Rank => Model.Rank;

    /// <summary>Items in this snapshot; their indices are 0 … Count − 1 and never change for an id.</summary>
    public int Count { get; }

    /// <summary>q of every item, row-major; the first Count × Rank values are this snapshot's (the rest is spare capacity a later snapshot may fill).</summary>
    internal float[] Vectors { get; }

    /// <summary>b_i of every item; the first Count values are this snapshot's.</summary>
    internal float[] Biases { get; }

    internal string[] Ids => _ids;

    internal ItemIdIndex IndexById => _indexById;

    internal ImmutableDictionary<string, ImmutableArray<int>> ItemsByCategory => _itemsByCategory;

    /// <summary>The vector of an item.</summary>
    public ReadOnlySpan<float> VectorOf(int index) => Vectors.AsSpan(CheckIndex(index) * Rank, Rank);

    /// <summary>The bias of an item.</summary>
    public float BiasOf(int index) => Biases[CheckIndex(index)];

    /// <summary>The id of the item at an index.</summary>
    public string IdAt(int index) => _ids[CheckIndex(index)];

    /// <summary>The index of an id, or -1 when this snapshot does not hold it.</summary>
    public int IndexOf(string id) => _indexById.TryGetValue(id, out var index) ? index : -1;

    public bool TryGetIndex(string id, out int index) => _indexById.TryGetValue(id, out index);

    /// <summary>The items whose category field holds <paramref name="category"/> (empty when the catalog keeps no category index).</summary>
    public ImmutableArray<int> ItemsInCategory(string category)
        => _itemsByCategory.TryGetValue(category, out var items) ? items : ImmutableArray<int>.Empty;

    /// <summary>The categories that have at least one item.</summary>
    public IEnumerable<string> Categories => _itemsByCategory.Keys;

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The catalog snapshot holds {Count} items.");
        }

        return index;
    }
}
