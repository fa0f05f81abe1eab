using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Core.Features;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Services;

/// <summary>
/// What to recommend before any model exists: the items most interacted with in the recent event log (weighted
/// by what each event teaches). Rebuilt from the log's tail on every refresh, so all instances agree, and bumped
/// at once by the batches this instance applies.
/// </summary>
public sealed class PopularityService(IEventLog log, IOptions<FuncRecOptions> options)
{
    private readonly Lock _lock = new();
    private Dictionary<string, double> _counts = new(StringComparer.Ordinal);

    // The log position the counts were last rebuilt at, whether they have been at all, and how many batches this
    // instance had recorded then: a batch recorded after its log append can land in a rebuild's tail and be
    // recorded again, and only another rebuild corrects that, even when the log has not moved since.
    private string? _countedTo;
    private bool _counted;
    private long _recorded;
    private long _recordedAtRebuild;

    /// <summary>
    /// Rebuilds the counts from the log's tail, unless the log's settled end has not moved since the last rebuild:
    /// reading and parsing tens of thousands of events took a core for a tenth of a second or more, which an instance
    /// refreshing every few seconds spent for nothing whenever no events arrived, and its requests waited behind.
    /// (A batch still settling is counted once the end moves past it.)
    /// </summary>
    public async Task RefreshAsync(EventTargets targets, CancellationToken cancellationToken)
    {
        var recorded = Interlocked.Read(ref _recorded);
        var end = await log.GetSettledEndAsync(cancellationToken);
        if (_counted && string.Equals(end, _countedTo, StringComparison.Ordinal) && recorded == _recordedAtRebuild)
        {
            return;
        }

        // The whole tail, the batches still settling included: the settled end only tells whether anything changed.
        var tail = await log.ReadTailAsync(options.Value.Serving.PopularityEvents, null, cancellationToken);
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var batch in tail)
        {
            Count(counts, batch.Batch.Events, targets);
        }

        lock (_lock)
        {
            _counts = counts;
        }

        (_countedTo, _counted, _recordedAtRebuild) = (end, true, recorded);
    }

    public void Record(IEnumerable<AcceptedEvent> events, EventTargets targets)
    {
        lock (_lock)
        {
            Count(_counts, events, targets);
            Interlocked.Increment(ref _recorded);
        }
    }

    /// <summary>The k most popular items, leaving out <paramref name="exclude"/> and, with a category, items outside it.</summary>
    public IReadOnlyList<(string ItemId, double Count)> Top(int k, IReadOnlySet<string> exclude, string? category, IReadOnlyDictionary<string, ItemDocument> directory)
    {
        KeyValuePair<string, double>[] snapshot;
        lock (_lock)
        {
            snapshot = _counts.ToArray();
        }

        return snapshot
            .Where(pair => !exclude.Contains(pair.Key) && (category is null || InCategory(directory, pair.Key, category)))
            .OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Take(k).Select(pair => (pair.Key, pair.Value)).ToArray();
    }

    public static bool InCategory(IReadOnlyDictionary<string, ItemDocument> directory, string itemId, string category)
    {
        if (!directory.TryGetValue(itemId, out var item) || !item.Features.TryGetValue("category", out var value))
        {
            return false;
        }

        for (var i = 0; i < value.ValueCount; i++)
        {
            if (string.Equals(value.ValueAt(i), category, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void Count(Dictionary<string, double> counts, IEnumerable<AcceptedEvent> events, EventTargets targets)
    {
        foreach (var e in events)
        {
            var weight = targets.TargetOf(e) is { } target && target > 0 ? Math.Min(target, 5f) : 0.5;
            counts[e.ItemId] = counts.GetValueOrDefault(e.ItemId) + weight;
        }
    }
}
