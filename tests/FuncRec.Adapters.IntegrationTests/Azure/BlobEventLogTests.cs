using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>The blob log's own promises: its layout, the first-key rule for retries, the settle time, and scale.</summary>
[Collection(EmulatorCollections.Blobs)]
public sealed class BlobEventLogTests(EmulatorFixture emulators) : AzureTest(emulators)
{
    [Fact]
    public async Task Position_is_the_log_blob_name_under_the_hour_of_its_apply_time()
    {
        var appliedAt = Harness.Clock.GetUtcNow().AddMilliseconds(1);

        var position = await Harness.Log.AppendAsync(TestData.Batch("b1", 3), Cancellation);

        Assert.Equal($"log/2026/03/31/22/{appliedAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}-b1.json", position);
        var blob = await Harness.EventLogContainer.GetBlobClient(position).GetPropertiesAsync(cancellationToken: Cancellation);
        Assert.Equal("3", blob.Value.Metadata["events"]);
        Assert.Equal(position, (await Harness.EventLogContainer.GetBlobClient("batches/b1").DownloadContentAsync(Cancellation)).Value.Content.ToString());
    }

    [Fact]
    public async Task Retry_after_a_crash_between_marker_and_log_blob_writes_the_batch_at_its_first_key()
    {
        // The first attempt, an hour ago, chose its key and wrote the marker, then died before writing the log blob.
        var firstKey = $"log/2026/03/31/21/{new DateTimeOffset(2026, 3, 31, 21, 15, 0, TimeSpan.Zero).UtcTicks:D19}-b1.json";
        await Harness.Log.AppendAsync(TestData.Batch("other", 1), Cancellation);
        await Harness.EventLogContainer.GetBlobClient("batches/b1").UploadAsync(BinaryData.FromString(firstKey), Cancellation);

        var position = await Harness.Log.AppendAsync(TestData.Batch("b1", 2), Cancellation);

        Assert.Equal(firstKey, position);
        Assert.Equal(["b1", "other"], (await Harness.Log.ReadAsync(null, null, Cancellation)).Select(b => b.Batch.BatchId));
    }

    [Fact]
    public async Task Settled_end_leaves_out_batches_younger_than_the_settle_time()
    {
        var first = await Harness.Log.AppendAsync(TestData.Batch("a", 1), Cancellation);
        Harness.Clock.Advance(TimeSpan.FromSeconds(1.5));
        var second = await Harness.Log.AppendAsync(TestData.Batch("b", 1), Cancellation);

        Assert.Null(await Harness.Log.GetSettledEndAsync(Cancellation));
        Harness.Clock.Advance(TimeSpan.FromSeconds(0.6));
        Assert.Equal(first, await Harness.Log.GetSettledEndAsync(Cancellation));
        Harness.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(second, await Harness.Log.GetSettledEndAsync(Cancellation));
    }

    [Fact]
    public async Task Settled_end_follows_the_real_clock()
    {
        var log = NewHarness(settings => settings["FuncRec:Storage:EventLogSettleTime"] = "00:00:01", TimeProvider.System).Log;
        var position = await log.AppendAsync(TestData.Batch("a", 1), Cancellation);

        Assert.Null(await log.GetSettledEndAsync(Cancellation));
        await Task.Delay(TimeSpan.FromSeconds(1.2), Cancellation);
        Assert.Equal(position, await log.GetSettledEndAsync(Cancellation));
    }

    [Fact]
    public async Task Settled_end_is_found_across_days_without_batches()
    {
        var position = await Harness.Log.AppendAsync(TestData.Batch("a", 1), Cancellation);
        Harness.Clock.Advance(TimeSpan.FromDays(40));

        Assert.Equal(position, await Harness.Log.GetSettledEndAsync(Cancellation));
        Assert.Equal(["a"], (await Harness.Log.ReadTailAsync(10, null, Cancellation)).Select(b => b.Batch.BatchId));
    }

    [Fact]
    public async Task Batch_ids_that_are_not_plain_get_safe_blob_names_and_round_trip()
    {
        var position = await Harness.Log.AppendAsync(TestData.Batch("weird/id?#ü", 1), Cancellation);

        Assert.Equal(6, position.Split('/').Length);
        Assert.Equal("weird/id?#ü", Assert.Single(await Harness.Log.ReadAsync(null, null, Cancellation)).Batch.BatchId);
        Assert.Equal(position, await Harness.Log.AppendAsync(TestData.Batch("weird/id?#ü", 1), Cancellation));
    }

    [Fact]
    public async Task Blobs_outside_the_log_layout_are_ignored()
    {
        var position = await Harness.Log.AppendAsync(TestData.Batch("a", 1), Cancellation);
        await Harness.EventLogContainer.GetBlobClient("log/README.txt").UploadAsync(BinaryData.FromString("notes"), Cancellation);
        await Harness.EventLogContainer.GetBlobClient("log/2026/xx/notes.json").UploadAsync(BinaryData.FromString("{}"), Cancellation);
        await Harness.EventLogContainer.GetBlobClient("log/2026/03/31/22/notes.json").UploadAsync(BinaryData.FromString("{}"), Cancellation);
        Harness.LetLogSettle();

        Assert.Equal([position], (await Harness.Log.ReadAsync(null, null, Cancellation)).Select(b => b.Position));
        Assert.Equal(position, await Harness.Log.GetSettledEndAsync(Cancellation));
    }

    [Fact]
    public async Task A_log_of_100k_events_in_1000_batches_over_days_reads_back_whole_and_in_order()
    {
        // One batch every 3 minutes: 1000 batches span 50 hour folders over three days.
        var positions = new string[1000];
        var clock = new ManualClock(new DateTimeOffset(2026, 2, 27, 22, 0, 0, TimeSpan.Zero));
        var harness = NewHarness(clock: clock);
        await harness.EventLogContainer.CreateIfNotExistsAsync(cancellationToken: Cancellation);
        var batches = Enumerable.Range(0, positions.Length).Select(i => (Index: i, AppliedAt: clock.GetUtcNow().AddMinutes(3 * i))).ToArray();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Cancellation }, async (batch, ct) =>
        {
            // Written straight in the log's layout (what AppendAsync writes), so the spread over time is exact.
            var applied = TestData.Batch($"b{batch.Index:D4}", 100);
            var name = $"log/{batch.AppliedAt.UtcDateTime:yyyy/MM/dd/HH}/{batch.AppliedAt.UtcTicks:D19}-{applied.BatchId}.json";
            await harness.EventLogContainer.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(applied, new JsonSerializerOptions(JsonSerializerDefaults.Web)), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["events"] = "100" } }, ct);
            positions[batch.Index] = name;
        });
        clock.Advance(TimeSpan.FromDays(4));

        var end = await harness.Log.GetSettledEndAsync(Cancellation);
        var all = await harness.Log.ReadAsync(null, end, Cancellation);
        var tail = await harness.Log.ReadTailAsync(10_000, positions[899], Cancellation);

        Assert.Equal(positions[^1], end);
        Assert.Equal(positions, all.Select(b => b.Position));
        Assert.Equal(100_000, all.Sum(b => b.Batch.Events.Count));
        Assert.Equal(positions[800..900], tail.Select(b => b.Position));
    }
}
