using System.Text.Json;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Cli.Hosting;

/// <summary>
/// Brings a history into a local data directory whose host is built but not started (no queue consumer runs):
/// each chunk of events goes through the ingestion service — validated and queued exactly as a post would be — and
/// is applied at once, in order, before the next. Used by <c>funcrec import</c> and by the demo's history.
/// </summary>
public static class LocalApply
{
    /// <summary>Ingests and applies <paramref name="events"/> (objects in the API's event shape); returns the counts accepted and refused.</summary>
    public static async Task<(int Accepted, int Rejected)> IngestAndApplyAsync<T>(IServiceProvider services, IEnumerable<T> events, CancellationToken cancellationToken)
    {
        var ingestion = services.GetRequiredService<EventIngestionService>();
        var queue = services.GetRequiredService<IEventQueue>();
        var receiver = services.GetRequiredService<IEventQueueReceiver>();
        var consumer = services.GetRequiredService<QueueConsumer>();
        var accepted = 0;
        var rejected = 0;
        foreach (var chunk in events.Chunk(ingestion.MaxEventsPerRequest))
        {
            var result = await ingestion.IngestAsync(JsonSerializer.SerializeToElement(chunk, ApiJson.Options), cancellationToken);
            accepted += result.Accepted;
            rejected += result.Rejected.Count;

            // Applied before the next chunk: the queue's backlog bound (backpressure) would otherwise wait for a
            // consumer that is not running, and the event log keeps the history's order.
            while (await queue.CountAsync(cancellationToken) > 0)
            {
                var messages = await receiver.ReceiveAsync(16, TimeSpan.FromMinutes(5), cancellationToken);
                if (messages.Count == 0)
                {
                    // Counted but not visible yet (a retry's back-off, or the lease of a server that stopped): wait for it.
                    await receiver.WaitForMessagesAsync(TimeSpan.FromMilliseconds(200), cancellationToken);
                    continue;
                }

                foreach (var message in messages)
                {
                    await consumer.HandleAsync(message, cancellationToken);
                }
            }
        }

        return (accepted, rejected);
    }
}
