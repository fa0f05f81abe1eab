using FuncRec.Application.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuncRec.Cli.Hosting;

/// <summary>
/// Loads the active model while the host starts, before the server listens (the web host starts after the
/// application's hosted services), so that <see cref="ModelHost"/> warms it (<see cref="ServingWarmup"/>, which
/// this host registers on the embedded stores); then collects garbage twice: the warmed documents and behaviour rows are young objects,
/// and each collection moves survivors one generation, so two put them in the oldest generation now instead of in
/// two long promotions under load. This host owns its process; the Functions host, which does not, has no warm-up.
/// A failed load is logged and the host starts anyway: the model refresh tries again on its schedule.
/// </summary>
internal sealed class WarmupBeforeTraffic(ModelHost host, ILogger<WarmupBeforeTraffic> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await host.RefreshAsync(cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Loading the active model before traffic failed; the model refresh will try again");
            return;
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
