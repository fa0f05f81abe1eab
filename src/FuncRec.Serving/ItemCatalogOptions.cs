namespace FuncRec.Serving;

/// <summary>How an <see cref="ItemCatalog"/> is laid out; checked by <see cref="Validate"/>.</summary>
public sealed record ItemCatalogOptions
{
    /// <summary>Items the first arrays hold before they grow (doubling).</summary>
    public int InitialCapacity { get; init; } = 1024;

    /// <summary>
    /// The profile field whose values index items by category (e.g. "category"), so top-k can be limited to a
    /// category; null keeps no such index.
    /// </summary>
    public string? CategoryField { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (InitialCapacity is < 1 or > 100_000_000)
        {
            throw new ArgumentException("Item catalog option InitialCapacity must be between 1 and 100000000.", nameof(InitialCapacity));
        }

        if (CategoryField is not null && string.IsNullOrWhiteSpace(CategoryField))
        {
            throw new ArgumentException("Item catalog option CategoryField must be null or a field name.", nameof(CategoryField));
        }
    }
}
