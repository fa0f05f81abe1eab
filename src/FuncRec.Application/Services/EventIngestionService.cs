using System.Text;
using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>
/// What happened to a posted batch: how many were accepted (durably queued), how many of those were already applied
/// when the answer was sent (small batches are applied in the request), and why each refused one was.
/// </summary>
public sealed record IngestResult(int Received, int Accepted, IReadOnlyList<string> AcceptedEventIds, IReadOnlyList<RejectedEvent> Rejected, int Messages, int Applied = 0);

/// <summary>
/// <c>POST /api/events</c>: validates each event, gives it an id, and enqueues the valid ones in messages under
/// the queue's size limit. An event counts as accepted only once its message is stored. Client-supplied event ids
/// make retries safe: the queue consumer applies an id at most once per user.
/// <para>
/// A small post (at most <see cref="IngestOptions.ApplyInlineMaxEvents"/> valid events — an app reporting what a
/// user just did) is stored hidden from consumers and applied in the request, so the app's next call already
/// sees it, whatever the queue holds; then the message is removed. If applying fails, the message becomes
/// visible when its hold ends and a consumer applies it: the queue stays the durable record either way.
/// </para>
/// </summary>
public sealed class EventIngestionService(IEventQueue queue, EventBatchProcessor processor, ModelHost host, IOptions<FuncRecOptions> options, TimeProvider clock, ILogger<EventIngestionService> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly EventParser _parser = new(options.Value.Ingest);

    public int MaxEventsPerRequest => options.Value.Ingest.MaxEventsPerRequest;

    public int MaxRequestBytes => options.Value.Ingest.MaxRequestBytes;

    /// <summary>Ingests a JSON array of events (the caller has checked it is one and within the limits).</summary>
    public async Task<IngestResult> IngestAsync(JsonElement events, CancellationToken cancellationToken)
    {
        if (events.ValueKind != JsonValueKind.Array)
        {
            throw new ValidationError("$", "the body must be a JSON array of events");
        }

        var count = events.GetArrayLength();
        if (count > MaxEventsPerRequest)
        {
            throw new ValidationError("$", $"a batch holds at most {MaxEventsPerRequest} events; this one has {count}");
        }

        var accepted = new List<AcceptedEvent>(count);
        var rejected = new List<RejectedEvent>();
        var index = 0;
        foreach (var element in events.EnumerateArray())
        {
            if (_parser.TryParse(element, index, out var good, out var bad))
            {
                accepted.Add(good!);
            }
            else
            {
                rejected.Add(bad!);
            }

            index++;
        }

        var stored = new List<string>(accepted.Count);
        var messages = 0;
        var applied = 0;
        var acceptedAt = clock.GetUtcNow();
        var chunks = Chunk(accepted, acceptedAt).ToArray();
        // Not before this instance has looked for the active model: events applied without it would miss their
        // online update for good (the queue's consumers face the same start, later).
        var inline = chunks.Length == 1 && accepted.Count <= options.Value.Ingest.ApplyInlineMaxEvents && host.LastRefresh is not null;
        // The app waits for this answer to see its event applied: its writes go before the queue's and flushes'.
        using var callerWaiting = CallerWaiting.Begin(when: inline);
        foreach (var chunk in chunks)
        {
            HeldMessage? held = null;
            try
            {
                if (inline)
                {
                    // Held messages never wait for room: the consumers' backlog is not where they go.
                    held = await queue.EnqueueHeldAsync(chunk.Json, TimeSpan.FromSeconds(options.Value.Ingest.InlineHoldSeconds), cancellationToken);
                }
                else
                {
                    await WaitForRoomAsync(cancellationToken);
                    await queue.EnqueueAsync(chunk.Json, cancellationToken);
                }

                stored.AddRange(chunk.Events.Select(e => e.EventId));
                messages++;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "Could not enqueue a batch of {Count} events", chunk.Events.Count);
                if (stored.Count == 0)
                {
                    throw new UnavailableError("The event queue is unavailable; nothing was accepted. Retry the request (with eventIds, retries never apply an event twice).", exception);
                }

                foreach (var e in chunk.Events)
                {
                    rejected.Add(new RejectedEvent(accepted.IndexOf(e), "$", "not stored: the event queue became unavailable; retry this event"));
                }
            }

            if (held is not null)
            {
                applied += await ApplyHeldAsync(held, chunk.Batch);
            }
        }

        logger.LogDebug("Accepted {Accepted} of {Received} events in {Messages} messages ({Applied} applied in the request)", stored.Count, count, messages, applied);
        return new IngestResult(count, stored.Count, stored, rejected.OrderBy(r => r.Index).ToArray(), messages, applied);
    }

    /// <summary>Applies a held batch and removes its message; on failure the message stays for a consumer. Returns the events applied.</summary>
    private async Task<int> ApplyHeldAsync(HeldMessage held, EventBatch batch)
    {
        // Not the request's token: once stored, the batch should be applied even if the client hangs up, and a
        // half-applied batch would only be finished later by a consumer (applying is idempotent either way).
        BatchOutcome outcome;
        try
        {
            outcome = await processor.ApplyAsync(batch, CancellationToken.None);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Batch {BatchId} could not be applied in the request; a consumer applies it when its hold ends", batch.BatchId);
            return 0;
        }

        try
        {
            await queue.RemoveHeldAsync(held, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // Applied all the same: the consumer that receives the message when its hold ends finds nothing new.
            logger.LogWarning(exception, "Batch {BatchId} was applied in the request but its held message could not be removed; a consumer will find it applied", batch.BatchId);
        }

        // Dropped events (accepted before their user was forgotten) were not applied; duplicates already were.
        return outcome.Applied + outcome.Duplicates;
    }

    private async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        var limit = options.Value.Ingest.MaxQueueBacklog;
        if (limit <= 0)
        {
            return;
        }

        var deadline = clock.GetUtcNow().AddSeconds(options.Value.Ingest.BacklogWaitSeconds);
        while (await queue.CountAsync(cancellationToken) >= limit)
        {
            if (clock.GetUtcNow() > deadline)
            {
                throw new UnavailableError($"The event queue holds {limit} or more batches and consumers are behind; retry later.");
            }

            // Woken when a consumer finishes a message (where the queue can tell), else after a short pause.
            await queue.WaitForRoomAsync(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    private IEnumerable<(string Json, EventBatch Batch, IReadOnlyList<AcceptedEvent> Events)> Chunk(List<AcceptedEvent> events, DateTimeOffset acceptedAt)
    {
        // Greedy packing by serialised size; a single event is far below any queue's limit (ids and context are capped).
        var current = new List<AcceptedEvent>();
        var size = 128;
        foreach (var e in events)
        {
            var eventSize = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(e, Json)) + 1;
            if (current.Count > 0 && size + eventSize > queue.MaxMessageBytes)
            {
                yield return Pack(current, acceptedAt);
                current = [];
                size = 128;
            }

            current.Add(e);
            size += eventSize;
        }

        if (current.Count > 0)
        {
            yield return Pack(current, acceptedAt);
        }
    }

    private static (string Json, EventBatch Batch, IReadOnlyList<AcceptedEvent> Events) Pack(List<AcceptedEvent> events, DateTimeOffset acceptedAt)
    {
        var batch = new EventBatch { BatchId = Guid.NewGuid().ToString("N"), AcceptedAt = acceptedAt, Events = events };
        return (JsonSerializer.Serialize(batch, Json), batch, events);
    }
}
