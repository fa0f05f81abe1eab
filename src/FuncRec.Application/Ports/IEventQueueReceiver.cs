namespace FuncRec.Application.Ports;

/// <summary>A received queue message; <see cref="Receipt"/> is whatever the adapter needs to complete or release it.</summary>
public sealed record QueueMessage(string Id, string Body, long DequeueCount, object Receipt);

/// <summary>
/// The consumer side of the event queue, for hosts that poll it themselves (the local host; the Functions host
/// has its own queue trigger). Messages become invisible while being processed and reappear unless completed.
/// </summary>
public interface IEventQueueReceiver
{
    Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken);

    /// <summary>Makes the message visible again after <paramref name="delay"/> (a retry).</summary>
    Task ReleaseAsync(QueueMessage message, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Moves the message to the poison queue with the reason it can never apply.</summary>
    Task DeadLetterAsync(QueueMessage message, string reason, CancellationToken cancellationToken);

    /// <summary>Returns when messages may be waiting, or after <paramref name="maxWait"/>.</summary>
    Task WaitForMessagesAsync(TimeSpan maxWait, CancellationToken cancellationToken);
}
