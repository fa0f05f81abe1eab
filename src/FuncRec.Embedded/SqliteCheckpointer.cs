using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Embedded;

/// <summary>
/// Checkpoints the embedded database's write-ahead log on a timer (<see cref="EmbeddedOptions.CheckpointIntervalMilliseconds"/>),
/// so that writers never do it in their commits (see <see cref="SqliteDatabase.CheckpointAsync"/>). A failed checkpoint
/// loses nothing: the pages stay in the log, and the next tick (or a writer's backstop checkpoint) copies them.
/// It also flushes the database's deferred writes when the host has stopped.
/// </summary>
public sealed class SqliteCheckpointer(SqliteDatabase database, IOptions<EmbeddedOptions> options, ILogger<SqliteCheckpointer> logger) : BackgroundService, IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Once every hosted service has stopped (the queue consumers among them), the deferred writes are flushed: a
    /// host that stops cleanly leaves nothing to be delivered again.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (database.WriteBehind is { } behind)
        {
            await behind.StopAsync();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.CheckpointIntervalMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var outcome = await database.CheckpointAsync();
                    if (outcome.WritersHeld > TimeSpan.Zero)
                    {
                        logger.LogDebug("Checkpointed {CopiedPages} of {LogPages} log pages and restarted the log, holding writers {HeldMilliseconds:F1} ms", outcome.CopiedPages, outcome.LogPages, outcome.WritersHeld.TotalMilliseconds);
                    }
                    else
                    {
                        logger.LogTrace("Checkpointed {CopiedPages} of {LogPages} log pages", outcome.CopiedPages, outcome.LogPages);
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Never let a failed checkpoint stop the host (a faulted background service would).
                    logger.LogWarning(exception, "Checkpointing the embedded database failed; the next tick tries again");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
