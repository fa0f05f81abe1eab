using FuncRec.Application.Contracts;

namespace FuncRec.Application.Ports;

/// <summary>The producer side of the event queue: a message is one <see cref="EventBatch"/>.</summary>
public interface IEventQueue
{
    /// <summary>Largest serialised batch (UTF-8 bytes) a message may carry.</summary>
    int MaxMessageBytes { get; }

    /// <summary>Durably enqueues one serialised batch; returns when it is stored.</summary>
    Task EnqueueAsync(string batchJson, CancellationToken cancellationToken);

    /// <summary>Messages waiting (for health and benchmarks; may be approximate).</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Returns when a message may have left the queue (completed or poisoned), or after <paramref name="maxWait"/>;
    /// producers holding back for room call it between counts. A queue that cannot tell simply waits.
    /// </summary>
    Task WaitForRoomAsync(TimeSpan maxWait, CancellationToken cancellationToken) => Task.Delay(maxWait, cancellationToken);
}
