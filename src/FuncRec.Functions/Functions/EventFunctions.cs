using FuncRec.Application.Services;
using FuncRec.Azure;
using FuncRec.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace FuncRec.Functions.Functions;

/// <summary>Ingestion over HTTP and the queue trigger that applies event batches (online SGD).</summary>
public sealed class EventFunctions(FuncRecApi api, EventBatchProcessor processor, StorageQueueEventQueue queue, ILogger<EventFunctions> logger)
{
    [Function("PostEvents")]
    public Task<IActionResult> PostEvents([HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.Events)] HttpRequest request)
        => ActionResult.From(api.PostEventsAsync(request));

    /// <summary>
    /// Applies one batch. A message that can never apply goes to the poison queue at once with its reason (and
    /// completes here, so the host does not retry it); any other failure throws, and the host retries the
    /// message up to host.json's maxDequeueCount before moving it to the poison queue itself.
    /// </summary>
    [Function("ApplyEventBatch")]
    public async Task ApplyEventBatch([QueueTrigger("%FuncRecEventQueue%", Connection = "AzureWebJobsStorage")] string message, long dequeueCount, CancellationToken cancellationToken)
    {
        Application.Contracts.EventBatch batch;
        try
        {
            batch = processor.Parse(message);
        }
        catch (PoisonMessageException poison)
        {
            logger.LogWarning("A message can never apply and goes to the poison queue: {Reason}", poison.Reason);
            await queue.SendToPoisonAsync(message, poison.Reason, dequeueCount, cancellationToken);
            return;
        }

        await processor.ApplyAsync(batch, cancellationToken);
    }
}
