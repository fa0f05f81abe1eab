using FuncRec.Application.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>
/// Keeps an instance's served model, item catalog and popularity counts current: refreshes at start and then every
/// <c>FuncRec:Serving:ModelRefreshSeconds</c>, so a model published or rolled back by any instance is served
/// everywhere within that bound.
/// </summary>
public sealed class ModelRefreshService(ModelHost host, PopularityService popularity, OnlineLearningService online, IOptions<FuncRecOptions> options, ILogger<ModelRefreshService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Serving.ModelRefreshSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await host.RefreshAsync(stoppingToken);
                await popularity.RefreshAsync(online.Targets, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(exception, "Refreshing the served model failed; serving what was loaded");
            }

            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
