using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// An event log whose first append of one batch fails, as if the process died after the batch's user documents
/// were written and before it reached the log; everything else goes to the real log.
/// </summary>
public sealed class InterruptedEventLog(IEventLog inner, string interruptedBatchId) : IEventLog
{
    private int _interrupted;

    public Task<string> AppendAsync(AppliedBatch batch, CancellationToken cancellationToken)
        => batch.BatchId == interruptedBatchId && Interlocked.Exchange(ref _interrupted, 1) == 0
            ? throw new IOException("the process died before the batch reached the event log")
            : inner.AppendAsync(batch, cancellationToken);

    public Task<IReadOnlyList<LoggedBatch>> ReadAsync(string? afterPosition, string? toPosition, CancellationToken cancellationToken)
        => inner.ReadAsync(afterPosition, toPosition, cancellationToken);

    public Task<string?> GetSettledEndAsync(CancellationToken cancellationToken) => inner.GetSettledEndAsync(cancellationToken);

    public Task<IReadOnlyList<LoggedBatch>> ReadTailAsync(int minEvents, string? toPosition, CancellationToken cancellationToken)
        => inner.ReadTailAsync(minEvents, toPosition, cancellationToken);
}
