using FuncRec.Application.Contracts;

namespace FuncRec.Application.Ports;

/// <summary>
/// User documents with optimistic concurrency. Implementations: SQLite (embedded) and Cosmos DB (point reads,
/// ETag replace; partition key /id).
/// </summary>
public interface IUserStore
{
    Task<Versioned<UserDocument>?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the document if the stored version still has <paramref name="expectedETag"/> (null: only if no
    /// document exists). Returns the new ETag, or null when another writer got there first.
    /// </summary>
    Task<string?> TryWriteAsync(UserDocument document, string? expectedETag, CancellationToken cancellationToken);

    /// <summary>
    /// Several <see cref="TryWriteAsync"/> at once, each with its own expected ETag; results in the same order
    /// (null where another writer got there first). Stores that can group writes (one transaction, concurrent
    /// requests) override this; the default writes one by one.
    /// </summary>
    async Task<IReadOnlyList<string?>> TryWriteManyAsync(IReadOnlyList<(UserDocument Document, string? ExpectedETag)> writes, CancellationToken cancellationToken)
    {
        var results = new string?[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            results[i] = await TryWriteAsync(writes[i].Document, writes[i].ExpectedETag, cancellationToken);
        }

        return results;
    }

    /// <summary>Deletes the document; false when there was none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
