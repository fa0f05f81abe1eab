using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NCrontab;

namespace FuncRec.Application.Services;

/// <summary>
/// The local host's timer trigger: runs the fine-tune cycle on the NCRONTAB schedule, and early when a drift
/// alarm has asked for one (checked every few seconds). Each run decides for itself whether there is enough new
/// data (see <see cref="FineTuneService"/>).
/// </summary>
public sealed class FineTuneScheduler(FineTuneService fineTune, IModelRegistry registry, IOptions<FuncRecOptions> options, TimeProvider clock, ILogger<FineTuneScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan DriftCheck = TimeSpan.FromSeconds(2);

    // A drift request may find too little new data; do not re-read the log for it more often than this.
    private static readonly TimeSpan DriftRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = CrontabSchedule.Parse(options.Value.FineTune.Schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        var next = schedule.GetNextOccurrence(clock.GetUtcNow().UtcDateTime);
        var lastDriftRun = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var due = now >= next;
            var requested = false;
            if (!due && options.Value.FineTune.FineTuneOnDrift && now - lastDriftRun >= DriftRetry)
            {
                try
                {
                    requested = (await registry.GetControlAsync(stoppingToken))?.Value.RequestedAt is not null;
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "Could not read the fine-tune control state");
                }
            }

            if (due || requested)
            {
                try
                {
                    var outcome = await fineTune.RunAsync(due ? "schedule" : "drift", force: false, stoppingToken);
                    logger.LogInformation("Fine-tune cycle ({Trigger}): {Decision}, {Reason}", due ? "schedule" : "drift", outcome.Decision, outcome.Reason);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // A failed cycle leaves the active model as it was; the next tick tries again.
                    logger.LogError(exception, "The fine-tune cycle failed");
                }

                if (due)
                {
                    next = schedule.GetNextOccurrence(clock.GetUtcNow().UtcDateTime);
                }
                else
                {
                    lastDriftRun = now;
                }
            }

            var wait = next - clock.GetUtcNow().UtcDateTime;
            try
            {
                await Task.Delay(wait < DriftCheck ? (wait < TimeSpan.Zero ? TimeSpan.Zero : wait) : DriftCheck, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
