using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Contracts;

/// <summary>
/// What every <see cref="IEventLog"/> does: positions whose ordinal order is apply order, appends idempotent per batch
/// id, windows (after, to], tails of at least N events, and a settled end that windows can stop at.
/// </summary>
public abstract class EventLogContract : PortContract
{
    private IEventLog Log => Harness.Log;

    [Fact]
    public async Task Empty_log_has_no_batches_and_no_settled_end()
    {
        Assert.Empty(await Log.ReadAsync(null, null, Cancellation));
        Assert.Empty(await Log.ReadTailAsync(100, null, Cancellation));
        Assert.Null(await Log.GetSettledEndAsync(Cancellation));
    }

    [Fact]
    public async Task Appended_batches_are_read_back_in_apply_order_with_ordinally_increasing_positions()
    {
        // Spread over hours, a day and a month boundary: positions must still sort in apply order.
        var positions = new List<string>();
        foreach (var (batchId, gap) in new[] { ("zulu", TimeSpan.Zero), ("alpha", TimeSpan.FromMinutes(55)), ("mike", TimeSpan.FromHours(1)), ("bravo", TimeSpan.FromDays(1)) })
        {
            Harness.AdvanceClock(gap);
            positions.Add(await Log.AppendAsync(TestData.Batch(batchId, 2), Cancellation));
        }

        Assert.Equal(positions, positions.Order(StringComparer.Ordinal));
        Assert.Equal(4, positions.Distinct().Count());
        var read = await Log.ReadAsync(null, null, Cancellation);
        Assert.Equal(positions, read.Select(b => b.Position));
        Assert.Equal(["zulu", "alpha", "mike", "bravo"], read.Select(b => b.Batch.BatchId));
    }

    [Fact]
    public async Task Batch_round_trips_its_events_and_forgotten_users()
    {
        var batch = TestData.Batch("b1", 5, forgotten: ["user-3", "user/4"]);

        var position = await Log.AppendAsync(batch, Cancellation);

        var logged = Assert.Single(await Log.ReadAsync(null, null, Cancellation));
        Assert.Equal(position, logged.Position);
        TestData.AssertSameJson(batch, logged.Batch);
    }

    [Fact]
    public async Task Appending_the_same_batch_twice_logs_it_once_at_its_first_position()
    {
        var first = await Log.AppendAsync(TestData.Batch("b1", 3), Cancellation);
        Harness.AdvanceClock(TimeSpan.FromMinutes(30));
        await Log.AppendAsync(TestData.Batch("b2", 1), Cancellation);
        Harness.AdvanceClock(TimeSpan.FromMinutes(30));

        var again = await Log.AppendAsync(TestData.Batch("b1", 3) with { AppliedAt = TestData.Now.AddHours(1) }, Cancellation);

        Assert.Equal(first, again);
        var read = await Log.ReadAsync(null, null, Cancellation);
        Assert.Equal(["b1", "b2"], read.Select(b => b.Batch.BatchId));
        Assert.Equal(TestData.Now, read[0].Batch.AppliedAt);
    }

    [Fact]
    public async Task Concurrent_appends_of_one_batch_agree_on_one_position_and_log_it_once()
    {
        var positions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Log.AppendAsync(TestData.Batch("contested", 2), Cancellation))));

        Assert.Single(positions.Distinct());
        Assert.Equal(positions[0], Assert.Single(await Log.ReadAsync(null, null, Cancellation)).Position);
    }

    [Fact]
    public async Task Concurrent_appends_of_different_batches_are_all_logged_at_distinct_positions()
    {
        var positions = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Log.AppendAsync(TestData.Batch($"b{i}", 1), Cancellation))));

        Assert.Equal(16, positions.Distinct().Count());
        var read = await Log.ReadAsync(null, null, Cancellation);
        Assert.Equal(positions.Order(StringComparer.Ordinal), read.Select(b => b.Position));
    }

    [Fact]
    public async Task Window_read_excludes_its_start_and_includes_its_end()
    {
        var positions = await AppendAsync(("a", 1), ("b", 1), ("c", 1), ("d", 1));

        Assert.Equal(["b", "c"], await BatchIdsAsync(positions[0], positions[2]));
        Assert.Equal(["b", "c", "d"], await BatchIdsAsync(positions[0], null));
        Assert.Equal(["a", "b"], await BatchIdsAsync(null, positions[1]));
        Assert.Empty(await BatchIdsAsync(positions[1], positions[1]));
        Assert.Empty(await BatchIdsAsync(positions[3], null));
    }

    [Fact]
    public async Task Tail_holds_the_newest_whole_batches_with_at_least_the_events_asked_for()
    {
        var positions = await AppendAsync(("a", 3), ("b", 2), ("c", 4));

        Assert.Equal(["c"], await TailAsync(4, null));
        Assert.Equal(["b", "c"], await TailAsync(5, null));
        Assert.Equal(["a", "b", "c"], await TailAsync(9, null));
        Assert.Equal(["a", "b", "c"], await TailAsync(100, null));
        Assert.Equal(["c"], await TailAsync(0, null));
        Assert.Equal(["b"], await TailAsync(1, positions[1]));
        Assert.Equal(["a", "b"], await TailAsync(3, positions[1]));
    }

    [Fact]
    public async Task Settled_end_reaches_the_last_batch_once_the_log_has_settled()
    {
        var positions = await AppendAsync(("a", 1), ("b", 1));

        Harness.LetLogSettle();

        Assert.Equal(positions[1], await Log.GetSettledEndAsync(Cancellation));
        Assert.Equal(["a", "b"], await BatchIdsAsync(null, await Log.GetSettledEndAsync(Cancellation)));
    }

    [Fact]
    public async Task Positions_of_another_log_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Log.ReadAsync("not a position", null, Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => Log.ReadTailAsync(1, "not a position", Cancellation));
    }

    private async Task<List<string>> AppendAsync(params (string BatchId, int Events)[] batches)
    {
        var positions = new List<string>();
        foreach (var (batchId, events) in batches)
        {
            Harness.AdvanceClock(TimeSpan.FromMinutes(20));
            positions.Add(await Log.AppendAsync(TestData.Batch(batchId, events), Cancellation));
        }

        return positions;
    }

    private async Task<string[]> BatchIdsAsync(string? after, string? to)
        => (await Log.ReadAsync(after, to, Cancellation)).Select(b => b.Batch.BatchId).ToArray();

    private async Task<string[]> TailAsync(int minEvents, string? to)
        => (await Log.ReadTailAsync(minEvents, to, Cancellation)).Select(b => b.Batch.BatchId).ToArray();
}

public sealed class SqliteEventLogContractTests : EventLogContract
{
    protected override AdapterHarness CreateHarness() => new EmbeddedHarness();
}

[Collection(EmulatorCollections.Blobs)]
public sealed class BlobEventLogContractTests(EmulatorFixture emulators) : EventLogContract
{
    protected override AdapterHarness CreateHarness() => new AzureHarness(emulators);
}
