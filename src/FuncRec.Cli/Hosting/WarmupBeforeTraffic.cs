using FuncRec.Application.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuncRec.Cli.Hosting;

/// <summary>
/// Runs the serving warm-up while the host starts, before the server listens (the web host starts after the
/// application's hosted services), then collects garbage twice: the warmed documents and behaviour rows are young
/// objects, and each collection moves survivors one generation, so two put them in the oldest generation now
/// instead of in two long promotions under load. This host owns its process; the Functions host, which does not, has no warm-up.
/// A failed warm-up is logged and the host starts cold.
/// </summary>
internal sealed class WarmupBeforeTraffic(ServingWarmup warmup, ILogger<WarmupBeforeTraffic> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await warmup.WarmAsync(cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Warming the serving path failed; starting cold");
            return;
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
