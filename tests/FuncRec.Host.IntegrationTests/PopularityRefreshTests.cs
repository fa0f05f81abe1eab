using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Embedded;
using Microsoft.Extensions.Options;

namespace FuncRec.Host.IntegrationTests;

/// <summary>Popularity is rebuilt from the event log's tail only when the log has moved since the last rebuild.</summary>
public sealed class PopularityRefreshTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("funcrec-popularity-");
    private SqliteDatabase? _database;

    [Fact]
    public async Task A_refresh_reads_the_log_again_only_after_it_has_grown()
    {
        _database = new SqliteDatabase(_directory.FullName);
        var log = new CountingLog(new SqliteEventLog(_database));
        var options = Options.Create(new FuncRecOptions());
        var popularity = new PopularityService(log, options);
        var targets = new EventTargets(options.Value.Model);

        await log.AppendAsync(Batch("b1", "item-a", "item-a", "item-b"), CancellationToken.None);
        await popularity.RefreshAsync(targets, CancellationToken.None);
        await popularity.RefreshAsync(targets, CancellationToken.None);

        Assert.Equal(1, log.TailReads);
        Assert.Equal(["item-a", "item-b"], Top(popularity));

        await log.AppendAsync(Batch("b2", "item-c", "item-c", "item-c"), CancellationToken.None);
        await popularity.RefreshAsync(targets, CancellationToken.None);

        Assert.Equal(2, log.TailReads);
        Assert.Equal(["item-c", "item-a", "item-b"], Top(popularity));

        // A batch this instance records after its log append can be in a rebuild's tail as well; the next refresh
        // rebuilds although the log has not moved, so the batch is not counted twice for good.
        await popularity.RefreshAsync(targets, CancellationToken.None);
        Assert.Equal(2, log.TailReads);
        popularity.Record([new AcceptedEvent { EventId = "b2-0", UserId = "u1", ItemId = "item-c", Type = "click" }], targets);
        await popularity.RefreshAsync(targets, CancellationToken.None);
        Assert.Equal(3, log.TailReads);
    }

    public void Dispose()
    {
        _database?.ReleaseConnections();
        _directory.Delete(recursive: true);
    }

    private static string[] Top(PopularityService popularity)
        => [.. popularity.Top(10, new HashSet<string>(), null, new Dictionary<string, ItemDocument>()).Select(p => p.ItemId)];

    private static AppliedBatch Batch(string id, params string[] items) => new()
    {
        BatchId = id,
        AppliedAt = DateTimeOffset.UnixEpoch,
        Events = [.. items.Select((item, i) => new AcceptedEvent { EventId = $"{id}-{i}", UserId = "u1", ItemId = item, Type = "click" })],
    };

    private sealed class CountingLog(IEventLog inner) : IEventLog
    {
        public int TailReads { get; private set; }

        public Task<string> AppendAsync(AppliedBatch batch, CancellationToken cancellationToken) => inner.AppendAsync(batch, cancellationToken);

        public Task<IReadOnlyList<LoggedBatch>> ReadAsync(string? afterPosition, string? toPosition, CancellationToken cancellationToken)
            => inner.ReadAsync(afterPosition, toPosition, cancellationToken);

        public Task<string?> GetSettledEndAsync(CancellationToken cancellationToken) => inner.GetSettledEndAsync(cancellationToken);

        public Task<IReadOnlyList<LoggedBatch>> ReadTailAsync(int minEvents, string? toPosition, CancellationToken cancellationToken)
        {
            TailReads++;
            return inner.ReadTailAsync(minEvents, toPosition, cancellationToken);
        }
    }
}
