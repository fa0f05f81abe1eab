using FuncRec.Application.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuncRec.Application.Services;

/// <summary>Settings of a polling queue consumer, bound from <c>FuncRec:Consumer</c> (the Functions host sets the same in host.json).</summary>
public sealed record QueueConsumerOptions
{
    public const string Section = "FuncRec:Consumer";

    public int Workers { get; init; } = 4;

    public int MaxDequeueCount { get; init; } = 5;

    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How far below requests the consumer parses and learns: on threads of its own (one per processor) at this Unix
    /// nice increment (1–19; on Windows, below-normal priority), so that on a busy machine requests go first and the
    /// consumer takes what they leave (<see cref="BackgroundPriorityScheduler"/>). 0 keeps it at normal priority.
    /// Its writes run at normal priority either way. 5 rather than 10: at 10 the consumer's share under load fell
    /// short of the ingest goal in 2 of 10 runs (docs/benchmarks.md, "Requests before the consumer").
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 19, ErrorMessage = "FuncRec:Consumer:Niceness (FuncRec__Consumer__Niceness) must be from 0 to 19.")]
    public int Niceness { get; init; } = 5;
}

/// <summary>
/// The local host's queue trigger: takes event batches off the queue and applies them with
/// <see cref="EventBatchProcessor"/>, several at a time. A message that can never apply goes to the poison queue
/// at once with its reason; one that fails otherwise is retried (with back-off) until its dequeue count reaches
/// the limit, then poisoned with the last error.
/// </summary>
public sealed class QueueConsumer(IEventQueueReceiver receiver, EventBatchProcessor processor, QueueConsumerOptions options, ILogger<QueueConsumer> logger) : BackgroundService
{
    private long _processed;
    private long _poisoned;

    // Set while ExecuteAsync runs; HandleAsync called on its own (tests, an import) parses and learns on the caller's threads.
    private volatile BackgroundPriorityScheduler? _background;

    public long Processed => Interlocked.Read(ref _processed);

    public long Poisoned => Interlocked.Read(ref _poisoned);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workerCount = Math.Max(1, options.Workers);
        using var background = options.Niceness > 0 ? new BackgroundPriorityScheduler(Environment.ProcessorCount, options.Niceness) : null;
        _background = background;
        if (background is null)
        {
            logger.LogInformation("The queue consumer runs {Workers} workers at normal priority", workerCount);
        }
        else if (background.Lowered)
        {
            logger.LogInformation("The queue consumer runs {Workers} workers; they parse and learn on {Threads} threads of their own at {Priority}, below requests", workerCount, background.Threads, background.Priority);
        }
        else
        {
            logger.LogWarning("The queue consumer runs {Workers} workers, but the system did not lower the priority of the {Threads} threads they parse and learn on: requests share the processors with them", workerCount, background.Threads);
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, workerCount).Select(_ => WorkAsync(stoppingToken)));
        }
        finally
        {
            _background = null;
        }
    }

    /// <summary>Processes one message (also used by tests to drive the consumer step by step).</summary>
    public async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var background = _background;
            var batch = background is null ? processor.Parse(message.Body) : await background.RunAsync(() => processor.Parse(message.Body));
            await processor.ApplyAsync(batch, background, cancellationToken);
            await receiver.CompleteAsync(message, cancellationToken);
            Interlocked.Increment(ref _processed);
        }
        catch (PoisonMessageException poison)
        {
            logger.LogWarning("Message {MessageId} can never apply and goes to the poison queue: {Reason}", message.Id, poison.Reason);
            await receiver.DeadLetterAsync(message, poison.Reason, cancellationToken);
            Interlocked.Increment(ref _poisoned);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (message.DequeueCount >= options.MaxDequeueCount)
            {
                logger.LogError(exception, "Message {MessageId} failed {Count} times and goes to the poison queue", message.Id, message.DequeueCount);
                await receiver.DeadLetterAsync(message, $"failed {message.DequeueCount} times; last error: {exception.GetType().Name}: {exception.Message}", cancellationToken);
                Interlocked.Increment(ref _poisoned);
                return;
            }

            logger.LogWarning(exception, "Message {MessageId} failed (attempt {Count}); it will be retried", message.Id, message.DequeueCount);
            await receiver.ReleaseAsync(message, TimeSpan.FromMilliseconds(Math.Min(10_000, 100 * Math.Pow(2, message.DequeueCount))), cancellationToken);
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var messages = await receiver.ReceiveAsync(4, options.VisibilityTimeout, stoppingToken);
                if (messages.Count == 0)
                {
                    await receiver.WaitForMessagesAsync(options.MaxPollingInterval, stoppingToken);
                    continue;
                }

                foreach (var message in messages)
                {
                    await HandleAsync(message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The queue itself failed (storage unreachable): wait and try again rather than stop consuming.
                logger.LogError(exception, "Receiving from the event queue failed; retrying shortly");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
