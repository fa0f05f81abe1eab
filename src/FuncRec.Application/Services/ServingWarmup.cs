using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>Readies a model before <see cref="ModelHost"/> swaps it in; hosts that want it register one.</summary>
public interface IServingModelWarmup
{
    Task WarmAsync(ServingModel model, CancellationToken cancellationToken);
}

/// <summary>
/// Readies a model for traffic before it serves, as TensorFlow Serving's model warm-up does: recommends once, on that
/// model, for the users most recently active in the event log. Their documents are then in the user store's cache,
/// their behaviour rows are kept for the model, the online state of users who learned against another model is
/// re-derived for this one, and the scoring path is compiled, so the first requests after a start or a publish pay
/// none of it. It matters most for the tail: under load, each user's first request did that work, and the
/// collector then copied the new working set between generations, in pauses of 50–110 ms that every request in
/// flight waited through (docs/benchmarks.md). <see cref="ModelHost"/> runs it on each model it loads, while the
/// previous model keeps serving.
/// </summary>
public sealed class ServingWarmup(IUserStore users, IEventLog log, OnlineLearningService online, IOptions<FuncRecOptions> options, ILogger<ServingWarmup> logger) : IServingModelWarmup
{
    private const int RecommendedItems = 10;

    public async Task WarmAsync(ServingModel model, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var limit = options.Value.Serving.WarmupUsers;
        var recent = limit == 0 ? [] : await RecentUsersAsync(limit, cancellationToken);
        await Parallel.ForEachAsync(
            recent,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (userId, token) =>
            {
                var user = RecommendationService.Active(await users.GetAsync(userId, token));
                await RecommendationService.TopKAsync(model, online, user, context: null, RecommendedItems, user?.Recent ?? [], category: null, token);
            });

        logger.LogInformation("Warmed model {ModelVersion} for {Users} recent users in {ElapsedMs:F0} ms", model.Version, recent.Count, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Distinct users of the log's tail, the most recent first, at most <paramref name="limit"/>.</summary>
    private async Task<IReadOnlyList<string>> RecentUsersAsync(int limit, CancellationToken cancellationToken)
    {
        // Each user of the tail is read at most once; a tail of a few events per wanted user finds enough of them.
        var tail = await log.ReadTailAsync(checked(limit * 4), null, cancellationToken);
        return RecentUsers(tail, limit);
    }

    /// <summary>The distinct users of <paramref name="tail"/> (oldest batch first), the latest event's user first, at most <paramref name="limit"/>.</summary>
    internal static IReadOnlyList<string> RecentUsers(IReadOnlyList<LoggedBatch> tail, int limit)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var users = new List<string>();
        for (var b = tail.Count - 1; b >= 0 && users.Count < limit; b--)
        {
            var events = tail[b].Batch.Events;
            for (var e = events.Count - 1; e >= 0 && users.Count < limit; e--)
            {
                if (seen.Add(events[e].UserId))
                {
                    users.Add(events[e].UserId);
                }
            }
        }

        return users;
    }
}
