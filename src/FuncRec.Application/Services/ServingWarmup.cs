using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>What a warm-up did: the users recommended for, and how long it took.</summary>
public sealed record WarmupResult(int Users, string? ModelVersion, TimeSpan Elapsed);

/// <summary>
/// Readies an instance for traffic, as TensorFlow Serving's model warm-up does: loads the active model and
/// recommends once for the users most recently active in the event log. Their documents are then in the user store's
/// cache, their behaviour rows are kept for the served model, and the scoring path is compiled, so the first requests
/// after a start pay none of it. It matters most for the tail: under load, a cold instance caches each user at
/// their first request, and the collector then copies that whole working set between generations, in pauses of
/// 50–110 ms that every request in flight waits through (docs/benchmarks.md). A host that owns its process can
/// collect once after the warm-up, while no request waits.
/// </summary>
public sealed class ServingWarmup(ModelHost host, IEventLog log, RecommendationService recommendations, IOptions<FuncRecOptions> options, ILogger<ServingWarmup> logger)
{
    private const int RecommendedItems = 10;

    public async Task<WarmupResult> WarmAsync(CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var limit = options.Value.Serving.WarmupUsers;
        if (host.Current is null)
        {
            await host.RefreshAsync(cancellationToken);
        }

        var users = limit == 0 ? [] : await RecentUsersAsync(limit, cancellationToken);
        await Parallel.ForEachAsync(
            users,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (user, token) => await recommendations.RecommendAsync(user, RecommendedItems, excludeSeen: true, category: null, context: null, token));

        var result = new WarmupResult(users.Count, host.Current?.Version, TimeProvider.System.GetElapsedTime(started));
        logger.LogInformation("Warmed the serving path for {Users} recent users on model {ModelVersion} in {ElapsedMs:F0} ms", result.Users, result.ModelVersion ?? "(none)", result.Elapsed.TotalMilliseconds);
        return result;
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
