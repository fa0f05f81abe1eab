using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Azure;

/// <summary>
/// The event log on Blob storage: one blob per applied batch, named by apply time (see <see cref="EventLogBlobNames"/>),
/// so a position is a blob name and a window is read by listing the hour folders it spans.
/// <para>
/// Appends are idempotent per batch id: the first attempt creates the marker <c>batches/{batchId}</c> (If-None-Match: *)
/// holding the log blob name it chose, then writes that blob. Any later attempt (a redelivered message, a second
/// instance) finds the marker and (re)writes the log blob at the name recorded there, also create-only, so a batch is
/// logged once, at the key chosen when it was first applied.
/// </para>
/// <para>
/// Because a retry can write its blob at an old key, the settled end lags the clock by
/// <see cref="AzureStorageOptions.EventLogSettleTime"/>: windows end only where no late blob can still appear.
/// </para>
/// <para>
/// Markers are a few bytes each and are kept; once a batch's message can no longer be delivered (the queue's message
/// time-to-live, 7 days by default) its marker is no longer needed, so a lifecycle rule may delete older markers.
/// </para>
/// </summary>
public sealed class BlobEventLog : IEventLog
{
    private const string EventCountMetadata = "events";
    private const int ParallelDownloads = 16;
    private const int ParallelListings = 8;

    private readonly BlobContainerClient _container;
    private readonly OnceInitializer _containerReady;
    private readonly TimeSpan _settleTime;
    private readonly TimeProvider _clock;
    private readonly ILogger<BlobEventLog> _logger;

    public BlobEventLog(BlobServiceClient blobs, IOptions<AzureStorageOptions> options, TimeProvider clock, ILogger<BlobEventLog> logger)
    {
        _container = blobs.GetBlobContainerClient(options.Value.EventLogContainer);
        _containerReady = options.Value.CreateIfMissing
            ? new OnceInitializer(async ct => await _container.CreateIfNotExistsAsync(cancellationToken: ct))
            : OnceInitializer.Nothing;
        _settleTime = options.Value.EventLogSettleTime;
        _clock = clock;
        _logger = logger;
    }

    public async Task<string> AppendAsync(AppliedBatch batch, CancellationToken cancellationToken)
    {
        await _containerReady.EnsureAsync(cancellationToken);
        var position = EventLogBlobNames.LogBlob(_clock.GetUtcNow(), batch.BatchId);
        var marker = _container.GetBlobClient(EventLogBlobNames.Marker(batch.BatchId));
        try
        {
            await marker.UploadAsync(BinaryData.FromString(position), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException exception) when (BlobConditions.IsWriteConditionFailed(exception))
        {
            position = (await marker.DownloadContentAsync(cancellationToken)).Value.Content.ToString();
            if (!EventLogBlobNames.IsPosition(position))
            {
                throw new InvalidDataException($"The marker of batch {batch.BatchId} holds '{position}', which is not a log position.");
            }

            _logger.LogInformation("Batch {BatchId} was logged before; keeping its position {Position}", batch.BatchId, position);
        }

        try
        {
            await _container.GetBlobClient(position).UploadAsync(AzureJson.Write(batch), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                Metadata = new Dictionary<string, string> { [EventCountMetadata] = batch.Events.Count.ToString(CultureInfo.InvariantCulture) },
            }, cancellationToken);
        }
        catch (RequestFailedException exception) when (BlobConditions.IsWriteConditionFailed(exception))
        {
            // Written by an earlier attempt: the log keeps the first copy.
        }

        return position;
    }

    public async Task<IReadOnlyList<LoggedBatch>> ReadAsync(string? afterPosition, string? toPosition, CancellationToken cancellationToken)
    {
        var fromHour = afterPosition is null ? null : EventLogBlobNames.HourOf(afterPosition, nameof(afterPosition));
        var toHour = toPosition is null ? null : EventLogBlobNames.HourOf(toPosition, nameof(toPosition));
        await _containerReady.EnsureAsync(cancellationToken);

        var positions = new List<string>();
        await foreach (var hour in ListHoursAsync(HourPrefixesAsync(fromHour, toHour, newestFirst: false, cancellationToken), ParallelListings, withMetadata: false, cancellationToken))
        {
            positions.AddRange(hour.Select(b => b.Name).Where(name =>
                (afterPosition is null || string.CompareOrdinal(name, afterPosition) > 0)
                && (toPosition is null || string.CompareOrdinal(name, toPosition) <= 0)));
        }

        return await DownloadAsync(positions, cancellationToken);
    }

    public async Task<string?> GetSettledEndAsync(CancellationToken cancellationToken)
    {
        await _containerReady.EnsureAsync(cancellationToken);
        var cutoff = _clock.GetUtcNow() - _settleTime;

        // A name sorts below the bound exactly when its ticks are below the cutoff's (fixed-width parts).
        var bound = EventLogBlobNames.TickBound(cutoff);
        await foreach (var hour in ListHoursAsync(HourPrefixesAsync(null, EventLogBlobNames.HourPrefix(cutoff), newestFirst: true, cancellationToken), 2, withMetadata: false, cancellationToken))
        {
            var settled = hour.Select(b => b.Name).Where(name => string.CompareOrdinal(name, bound) < 0).ToArray();
            if (settled.Length > 0)
            {
                return settled.Max(StringComparer.Ordinal);
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<LoggedBatch>> ReadTailAsync(int minEvents, string? toPosition, CancellationToken cancellationToken)
    {
        var toHour = toPosition is null ? null : EventLogBlobNames.HourOf(toPosition, nameof(toPosition));
        await _containerReady.EnsureAsync(cancellationToken);
        var wanted = Math.Max(1, minEvents);
        var newestFirst = new List<string>();
        long events = 0;
        await foreach (var hour in ListHoursAsync(HourPrefixesAsync(null, toHour, newestFirst: true, cancellationToken), ParallelListings, withMetadata: true, cancellationToken))
        {
            foreach (var blob in hour.Where(b => toPosition is null || string.CompareOrdinal(b.Name, toPosition) <= 0).OrderByDescending(b => b.Name, StringComparer.Ordinal))
            {
                newestFirst.Add(blob.Name);
                events += await CountEventsAsync(blob, cancellationToken);
                if (events >= wanted)
                {
                    newestFirst.Reverse();
                    return await DownloadAsync(newestFirst, cancellationToken);
                }
            }
        }

        newestFirst.Reverse();
        return await DownloadAsync(newestFirst, cancellationToken);
    }

    /// <summary>Event count from the blob's metadata (written with it), so the tail is measured without downloading it.</summary>
    private async Task<int> CountEventsAsync(BlobItem blob, CancellationToken cancellationToken)
    {
        if (blob.Metadata is { } metadata && metadata.TryGetValue(EventCountMetadata, out var text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return count;
        }

        // A blob without the count (written by other means): read it to count.
        return (await DownloadAsync([blob.Name], cancellationToken))[0].Batch.Events.Count;
    }

    /// <summary>Downloads the batches at the given positions, in parallel (bounded), in the order given.</summary>
    private async Task<IReadOnlyList<LoggedBatch>> DownloadAsync(IReadOnlyList<string> positions, CancellationToken cancellationToken)
    {
        var batches = new LoggedBatch[positions.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, positions.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelDownloads, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var content = (await _container.GetBlobClient(positions[index]).DownloadContentAsync(ct)).Value.Content;
                batches[index] = new LoggedBatch(positions[index], AzureJson.Read<AppliedBatch>(content, positions[index]));
            });
        return batches;
    }

    /// <summary>
    /// The log blobs of each hour, hour by hour in the order given, sorted by name; up to <paramref name="prefetch"/>
    /// hour listings run at once so a window of many hours is not listed one round trip after another.
    /// </summary>
    private async IAsyncEnumerable<IReadOnlyList<BlobItem>> ListHoursAsync(IAsyncEnumerable<string> hours, int prefetch, bool withMetadata, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pending = new Queue<Task<IReadOnlyList<BlobItem>>>();
        try
        {
            await foreach (var hour in hours)
            {
                pending.Enqueue(ListHourAsync(hour, withMetadata, cancellationToken));
                if (pending.Count >= prefetch)
                {
                    yield return await pending.Dequeue();
                }
            }

            while (pending.Count > 0)
            {
                yield return await pending.Dequeue();
            }
        }
        finally
        {
            // The reader stopped early (it had what it needed): let the prefetched listings finish rather than leave
            // them running unobserved; their results and failures no longer matter.
            while (pending.Count > 0)
            {
                await pending.Dequeue().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task<IReadOnlyList<BlobItem>> ListHourAsync(string hourPrefix, bool withMetadata, CancellationToken cancellationToken)
    {
        var blobs = new List<BlobItem>();
        var options = new GetBlobsOptions { Prefix = hourPrefix, Traits = withMetadata ? BlobTraits.Metadata : BlobTraits.None };
        await foreach (var blob in _container.GetBlobsAsync(options, cancellationToken))
        {
            if (EventLogBlobNames.IsPosition(blob.Name))
            {
                blobs.Add(blob);
            }
        }

        blobs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return blobs;
    }

    /// <summary>
    /// The hour prefixes (<c>log/yyyy/MM/dd/HH/</c>) holding blobs, from <paramref name="fromHour"/> to
    /// <paramref name="toHour"/> (inclusive; open when null), found by walking the year/month/day folders with a
    /// delimiter listing, so empty stretches of time cost nothing and no hour is listed blindly.
    /// </summary>
    private IAsyncEnumerable<string> HourPrefixesAsync(string? fromHour, string? toHour, bool newestFirst, CancellationToken cancellationToken)
        => ChildPrefixesAsync(EventLogBlobNames.LogRoot, fromHour, toHour, newestFirst, cancellationToken);

    private async IAsyncEnumerable<string> ChildPrefixesAsync(string parent, string? fromHour, string? toHour, bool newestFirst, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var children = new List<string>();
        await foreach (var item in _container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Prefix = parent, Delimiter = "/" }, cancellationToken))
        {
            if (item.IsPrefix && IsDatePart(item.Prefix, parent) && Overlaps(item.Prefix, fromHour, toHour))
            {
                children.Add(item.Prefix);
            }
        }

        children.Sort(StringComparer.Ordinal);
        if (newestFirst)
        {
            children.Reverse();
        }

        foreach (var child in children)
        {
            if (child.Length == EventLogBlobNames.HourPrefixLength)
            {
                yield return child;
                continue;
            }

            await foreach (var hour in ChildPrefixesAsync(child, fromHour, toHour, newestFirst, cancellationToken))
            {
                yield return hour;
            }
        }
    }

    /// <summary>A folder below <paramref name="parent"/> named by digits only (a year, month, day or hour).</summary>
    private static bool IsDatePart(string prefix, string parent)
    {
        var part = prefix.AsSpan(parent.Length, prefix.Length - parent.Length - 1);
        var expected = parent.Length == EventLogBlobNames.LogRoot.Length ? 4 : 2;
        return prefix.Length <= EventLogBlobNames.HourPrefixLength && part.Length == expected && !part.ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>Whether a year, month, day or hour folder can hold hours between the bounds (fixed-width, so a truncated comparison decides).</summary>
    private static bool Overlaps(string prefix, string? fromHour, string? toHour)
        => (fromHour is null || string.CompareOrdinal(prefix, fromHour[..prefix.Length]) >= 0)
           && (toHour is null || string.CompareOrdinal(prefix, toHour[..prefix.Length]) <= 0);
}
