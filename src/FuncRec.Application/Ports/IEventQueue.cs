using FuncRec.Application.Contracts;

namespace FuncRec.Application.Ports;

/// <summary>The producer side of the event queue: a message is one <see cref="EventBatch"/>.</summary>
public interface IEventQueue
{
    /// <summary>Largest serialised batch (UTF-8 bytes) a message may carry.</summary>
    int MaxMessageBytes { get; }

    /// <summary>Durably enqueues one serialised batch; returns when it is stored.</summary>
    Task EnqueueAsync(string batchJson, CancellationToken cancellationToken);

    /// <summary>
    /// Durably enqueues one serialised batch hidden from consumers for <paramref name="hold"/>, for the producer to
    /// apply itself and then <see cref="RemoveHeldAsync"/>. If the producer cannot (it fails or the process dies),
    /// the message becomes visible when the hold ends and a consumer applies it, so nothing accepted is lost.
    /// </summary>
    Task<HeldMessage> EnqueueHeldAsync(string batchJson, TimeSpan hold, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a held message its producer has applied. If its hold ran out and a consumer received it meanwhile,
    /// the message is left to that consumer (applying is idempotent) and this does nothing.
    /// </summary>
    Task RemoveHeldAsync(HeldMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Messages waiting (for health, backpressure and benchmarks; may be approximate). Held messages may be left out
    /// while their hold lasts (the embedded queue does; Azure's approximate count includes them).
    /// </summary>
    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Returns when a message may have left the queue (completed or poisoned), or after <paramref name="maxWait"/>;
    /// producers holding back for room call it between counts. A queue that cannot tell simply waits.
    /// </summary>
    Task WaitForRoomAsync(TimeSpan maxWait, CancellationToken cancellationToken) => Task.Delay(maxWait, cancellationToken);
}

/// <summary>A message stored hidden for its producer to apply (<see cref="IEventQueue.EnqueueHeldAsync"/>); the receipt is adapter-specific.</summary>
public sealed record HeldMessage(string Id, object Receipt);
