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

    /// <summary>Deletes the document; false when there was none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}
