using FuncRec.Application.Contracts;

namespace FuncRec.Application.Ports;

/// <summary>The item catalog. Listing is for loading scorers (not a per-request path).</summary>
public interface IItemStore
{
    Task<ItemDocument?> GetAsync(string id, CancellationToken cancellationToken);

    Task UpsertAsync(ItemDocument item, CancellationToken cancellationToken);

    /// <summary>Creates the item unless it exists (items first met in events); true when created.</summary>
    Task<bool> TryCreateAsync(ItemDocument item, CancellationToken cancellationToken);

    /// <summary>Items changed at or after <paramref name="since"/> (all items when null).</summary>
    Task<IReadOnlyList<ItemDocument>> ListChangedSinceAsync(DateTimeOffset? since, CancellationToken cancellationToken);
}
