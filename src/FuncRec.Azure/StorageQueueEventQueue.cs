using System.Text;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Specialized;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StorageQueueMessage = Azure.Storage.Queues.Models.QueueMessage;

namespace FuncRec.Azure;

/// <summary>
/// The event queue on Azure Queue Storage. Messages are base64 on the wire (the QueueServiceClient is registered
/// with <see cref="QueueMessageEncoding.Base64"/>), the encoding the Functions queue trigger expects by default
/// (host.json <c>extensions.queues.messageEncoding</c>), so the same messages feed both the local consumer and the
/// trigger. A message that can never apply goes to <c>&lt;queue&gt;-poison</c> as a <see cref="PoisonedMessage"/>.
/// </summary>
public sealed class StorageQueueEventQueue : IEventQueue, IEventQueueReceiver
{
    /// <summary>
    /// The service's limit is 64 KiB per message after encoding; base64 turns 3 bytes into 4, so 45 KiB of UTF-8
    /// JSON (60 KiB encoded) leaves room for the expansion and the request's XML envelope.
    /// </summary>
    public const int MaxMessageUtf8Bytes = 45 * 1024;

    /// <summary>The service refuses a receive visibility timeout under one second.</summary>
    private static readonly TimeSpan MinimumVisibilityTimeout = TimeSpan.FromSeconds(1);

    private readonly QueueClient _queue;
    private readonly QueueClient _poisonQueue;
    private readonly OnceInitializer _queuesReady;
    private readonly TimeProvider _clock;
    private readonly ILogger<StorageQueueEventQueue> _logger;

    // Enqueues from this process wake a waiting consumer at once instead of after its polling interval.
    private readonly SemaphoreSlim _enqueued = new(0, int.MaxValue);
    private readonly BoundedSignal _room = new();

    public StorageQueueEventQueue(QueueServiceClient queues, IOptions<EventQueueOptions> queueOptions, IOptions<AzureStorageOptions> storageOptions, TimeProvider clock, ILogger<StorageQueueEventQueue> logger)
    {
        _queue = queues.GetQueueClient(queueOptions.Value.QueueName);
        _poisonQueue = queues.GetQueueClient(queueOptions.Value.PoisonQueueName);
        _queuesReady = storageOptions.Value.CreateIfMissing
            ? new OnceInitializer(async ct =>
            {
                await _queue.CreateIfNotExistsAsync(cancellationToken: ct);
                await _poisonQueue.CreateIfNotExistsAsync(cancellationToken: ct);
            })
            : OnceInitializer.Nothing;
        _clock = clock;
        _logger = logger;
    }

    public int MaxMessageBytes => MaxMessageUtf8Bytes;

    public async Task EnqueueAsync(string batchJson, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetByteCount(batchJson);
        if (bytes > MaxMessageBytes)
        {
            throw new ArgumentException($"A queue message may carry at most {MaxMessageBytes} bytes of UTF-8 JSON; this batch has {bytes}.", nameof(batchJson));
        }

        await _queuesReady.EnsureAsync(cancellationToken);
        await _queue.SendMessageAsync(BinaryData.FromString(batchJson), cancellationToken: cancellationToken);
        _enqueued.Release();
    }

    public async Task<HeldMessage> EnqueueHeldAsync(string batchJson, TimeSpan hold, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetByteCount(batchJson);
        if (bytes > MaxMessageBytes)
        {
            throw new ArgumentException($"A queue message may carry at most {MaxMessageBytes} bytes of UTF-8 JSON; this batch has {bytes}.", nameof(batchJson));
        }

        await _queuesReady.EnsureAsync(cancellationToken);

        // The initial visibility timeout hides the message from every consumer (the trigger included) for the hold;
        // the send receipt's pop receipt lets the producer delete it without receiving it.
        var sent = await _queue.SendMessageAsync(BinaryData.FromString(batchJson), visibilityTimeout: hold < TimeSpan.Zero ? TimeSpan.Zero : hold, cancellationToken: cancellationToken);
        return new HeldMessage(sent.Value.MessageId, new Receipt(sent.Value.MessageId, sent.Value.PopReceipt));
    }

    public async Task RemoveHeldAsync(HeldMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var receipt = message.Receipt as Receipt ?? throw new ArgumentException("The message was not held by this queue.", nameof(message));
        try
        {
            await _queue.DeleteMessageAsync(receipt.MessageId, receipt.PopReceipt, cancellationToken);
            _room.Pulse();
        }
        catch (RequestFailedException exception) when (IsLeaseLost(exception))
        {
            // The hold ran out and a consumer received it (the pop receipt changed), or it is gone: that delivery completes it.
            _logger.LogInformation("Held message {MessageId} was received by a consumer before its producer removed it ({ErrorCode})", message.Id, exception.ErrorCode);
        }
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await _queuesReady.EnsureAsync(cancellationToken);
        return (await _queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCountLong;
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        await _queuesReady.EnsureAsync(cancellationToken);

        // The service hands out 1 to 32 messages per call.
        var received = await _queue.ReceiveMessagesAsync(Math.Clamp(maxMessages, 1, 32), visibilityTimeout < MinimumVisibilityTimeout ? MinimumVisibilityTimeout : visibilityTimeout, cancellationToken);
        return received.Value.Select(m => new QueueMessage(m.MessageId, m.Body.ToString(), m.DequeueCount, new Receipt(m.MessageId, m.PopReceipt))).ToArray();
    }

    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var receipt = ReceiptOf(message);
        try
        {
            await _queue.DeleteMessageAsync(receipt.MessageId, receipt.PopReceipt, cancellationToken);
            _room.Pulse();
        }
        catch (RequestFailedException exception) when (IsLeaseLost(exception))
        {
            // The visibility timeout ran out and the message was received again (its pop receipt changed) or is
            // already gone. Applying is idempotent, so the other delivery finishes the job; nothing is lost.
            _logger.LogWarning("Message {MessageId} could not be completed: its lease was lost ({ErrorCode}); another delivery will complete it", message.Id, exception.ErrorCode);
        }
    }

    public async Task ReleaseAsync(QueueMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var receipt = ReceiptOf(message);
        try
        {
            await _queue.UpdateMessageAsync(receipt.MessageId, receipt.PopReceipt, visibilityTimeout: delay < TimeSpan.Zero ? TimeSpan.Zero : delay, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException exception) when (IsLeaseLost(exception))
        {
            _logger.LogWarning("Message {MessageId} could not be released: its lease was lost ({ErrorCode}); it is visible or taken again already", message.Id, exception.ErrorCode);
        }
    }

    public async Task DeadLetterAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        await SendToPoisonAsync(message.Body, reason, message.DequeueCount, cancellationToken);
        await CompleteAsync(message, cancellationToken);
        _logger.LogWarning("Message {MessageId} moved to {PoisonQueue} after {DequeueCount} deliveries: {Reason}", message.Id, _poisonQueue.Name, message.DequeueCount, reason);
    }

    /// <summary>
    /// Writes a message body to the poison queue with the reason it can never apply, without touching the message
    /// itself: for the Functions queue trigger, where the host owns the message and completes it when the function
    /// returns.
    /// </summary>
    public async Task SendToPoisonAsync(string body, string reason, long dequeueCount, CancellationToken cancellationToken)
    {
        await _queuesReady.EnsureAsync(cancellationToken);
        await _poisonQueue.SendMessageAsync(PoisonedMessage.Envelope(reason, body, dequeueCount, _clock.GetUtcNow()), cancellationToken: cancellationToken);
    }

    /// <summary>Wakes at a completion in this process (other instances' completions show at the caller's next count).</summary>
    public Task WaitForRoomAsync(TimeSpan maxWait, CancellationToken cancellationToken) => _room.WaitAsync(maxWait, cancellationToken);

    public async Task WaitForMessagesAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        // Storage queues cannot push; wait for an enqueue in this process or the polling interval, whichever is first.
        await _enqueued.WaitAsync(maxWait, cancellationToken);
    }

    /// <summary>
    /// Handles a message that is not base64 (written by a producer with another encoding): without this the SDK
    /// would fail every receive while it sits in the queue. It can never apply, so it goes to the poison queue.
    /// </summary>
    internal static async Task PoisonUndecodableMessageAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not StorageQueueMessage message)
        {
            return;
        }

        var poisonQueue = args.Queue.GetParentQueueServiceClient().GetQueueClient(args.Queue.Name + EventQueueOptions.PoisonSuffix);
        var envelope = PoisonedMessage.Envelope("the message is not base64, the encoding the queue trigger expects", message.Body.ToString(), message.DequeueCount, DateTimeOffset.UtcNow);
        if (args.IsRunningSynchronously)
        {
            poisonQueue.SendMessage(envelope, cancellationToken: args.CancellationToken);
            args.Queue.DeleteMessage(message.MessageId, message.PopReceipt, args.CancellationToken);
        }
        else
        {
            await poisonQueue.SendMessageAsync(envelope, cancellationToken: args.CancellationToken);
            await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, args.CancellationToken);
        }
    }

    /// <summary>
    /// The pop receipt no longer holds: 400 PopReceiptMismatch when the message was received again since, 404
    /// MessageNotFound when it is gone.
    /// </summary>
    private static bool IsLeaseLost(RequestFailedException exception)
        => exception.Status == 404 || exception.ErrorCode == "PopReceiptMismatch";

    private static Receipt ReceiptOf(QueueMessage message)
        => message.Receipt as Receipt ?? throw new ArgumentException("The message was not received from this queue.", nameof(message));

    private sealed record Receipt(string MessageId, string PopReceipt);
}
