using FuncRec.Application.Contracts;

namespace FuncRec.Application.Ports;

/// <summary>
/// The log of applied batches, ordered by apply time; fine-tune windows are cut by its positions (opaque
/// strings whose ordinal order is the log's order). Appends are idempotent per batch id.
/// </summary>
public interface IEventLog
{
    /// <summary>Appends the batch unless a batch with its id is already logged; returns its position either way.</summary>
    Task<string> AppendAsync(AppliedBatch batch, CancellationToken cancellationToken);

    /// <summary>Batches after <paramref name="afterPosition"/> (exclusive; from the start when null) up to <paramref name="toPosition"/> (inclusive), in order.</summary>
    Task<IReadOnlyList<LoggedBatch>> ReadAsync(string? afterPosition, string? toPosition, CancellationToken cancellationToken);

    /// <summary>
    /// The last position that can no longer be preceded by a batch still being written: windows end here so
    /// a batch that lands late is never skipped.
    /// </summary>
    Task<string?> GetSettledEndAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The newest whole batches at or before <paramref name="toPosition"/> (the end of the log when null) holding
    /// at least <paramref name="minEvents"/> events (fewer when the log is shorter), oldest first: popularity before
    /// any model, behaviour context before a fine-tune window.
    /// </summary>
    Task<IReadOnlyList<LoggedBatch>> ReadTailAsync(int minEvents, string? toPosition, CancellationToken cancellationToken);
}
