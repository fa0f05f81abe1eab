using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.Azure;
using FuncRec.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>The storage queue's wire format (what the Functions trigger reads), its size limit and its poison messages.</summary>
[Collection(EmulatorCollections.Queues)]
public sealed class StorageQueueEventQueueTests(EmulatorFixture emulators) : AzureTest(emulators)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Messages_are_base64_on_the_wire_as_the_Functions_queue_trigger_expects()
    {
        const string Batch = """{"batch":"b1","accepted":"2026-11-27T12:00:00+00:00","events":[]}""";
        await Harness.Queue.EnqueueAsync(Batch, Cancellation);

        var raw = Assert.Single((await RawQueue(Harness.Settings["FuncRecEventQueue"]!).PeekMessagesAsync(1, Cancellation)).Value);

        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(Batch)), raw.MessageText);
    }

    [Fact]
    public void Largest_message_stays_under_the_64_KiB_limit_once_base64_encoded()
    {
        var encodedLength = (Harness.Queue.MaxMessageBytes + 2) / 3 * 4;

        Assert.InRange(encodedLength, 60 * 1024, 64 * 1024 - 1024);
    }

    [Fact]
    public async Task Batch_over_the_limit_is_refused_before_it_is_sent()
    {
        var oversized = new string('x', Harness.Queue.MaxMessageBytes + 1);

        await Assert.ThrowsAsync<ArgumentException>(() => Harness.Queue.EnqueueAsync(oversized, Cancellation));
        Assert.Equal(0, await Harness.Queue.CountAsync(Cancellation));
    }

    [Fact]
    public async Task Poison_message_is_a_json_envelope_with_reason_body_delivery_count_and_time()
    {
        await Harness.Queue.EnqueueAsync("not json", Cancellation);
        var message = Assert.Single(await Harness.Receiver.ReceiveAsync(1, Lease, Cancellation));

        await Harness.Receiver.DeadLetterAsync(message, "invalid content", Cancellation);

        var raw = Assert.Single((await Harness.PoisonQueue.PeekMessagesAsync(1, Cancellation)).Value);
        using var envelope = JsonDocument.Parse(raw.Body.ToString());
        Assert.Equal("invalid content", envelope.RootElement.GetProperty("reason").GetString());
        Assert.Equal("not json", envelope.RootElement.GetProperty("body").GetString());
        Assert.Equal(1, envelope.RootElement.GetProperty("dequeueCount").GetInt64());
        Assert.Equal(Harness.Clock.GetUtcNow().Year, envelope.RootElement.GetProperty("failedAt").GetDateTimeOffset().Year);
    }

    [Fact]
    public async Task Body_sent_to_the_poison_queue_by_the_queue_trigger_leaves_the_queue_alone()
    {
        var queue = Harness.Services.GetRequiredService<StorageQueueEventQueue>();
        await queue.EnqueueAsync("owned by the host", Cancellation);

        await queue.SendToPoisonAsync("owned by the host", "invalid content", 3, Cancellation);

        Assert.Equal(new PoisonRecord("owned by the host", "invalid content", 3), Assert.Single(await Harness.ReadPoisonAsync()));
        Assert.Equal(1, await queue.CountAsync(Cancellation));
    }

    [Fact]
    public async Task Message_in_another_encoding_goes_to_the_poison_queue_instead_of_blocking_the_queue()
    {
        await Harness.Queue.EnqueueAsync("before", Cancellation);
        await RawQueue(Harness.Settings["FuncRecEventQueue"]!).SendMessageAsync("plain text, not base64!", Cancellation);
        await Harness.Queue.EnqueueAsync("after", Cancellation);

        var received = await Harness.Receiver.ReceiveAsync(10, Lease, Cancellation);

        Assert.Equal(["before", "after"], received.Select(m => m.Body));
        var poisoned = Assert.Single(await Harness.ReadPoisonAsync());
        Assert.Equal("plain text, not base64!", poisoned.Body);
        Assert.Contains("base64", poisoned.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completing_or_releasing_a_message_whose_lease_ran_out_does_not_fail()
    {
        await Harness.Queue.EnqueueAsync("slow", Cancellation);
        var stale = Assert.Single(await Harness.Receiver.ReceiveAsync(1, TimeSpan.FromSeconds(1), Cancellation));
        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        var current = Assert.Single(await Harness.Receiver.ReceiveAsync(1, Lease, Cancellation));

        await Harness.Receiver.CompleteAsync(stale, Cancellation);
        await Harness.Receiver.ReleaseAsync(stale, TimeSpan.Zero, Cancellation);

        Assert.Empty(await Harness.Receiver.ReceiveAsync(1, Lease, Cancellation));
        await Harness.Receiver.CompleteAsync(current, Cancellation);
        Assert.Equal(0, await Harness.Queue.CountAsync(Cancellation));
    }

    [Fact]
    public async Task Queues_are_not_created_without_CreateIfMissing()
    {
        var queue = NewHarness(settings => settings["FuncRec:Storage:CreateIfMissing"] = "false").Queue;

        var missing = await Assert.ThrowsAsync<global::Azure.RequestFailedException>(() => queue.EnqueueAsync("m", Cancellation));
        Assert.Equal(404, missing.Status);
    }

    /// <summary>A client without the adapter's encoding: sees (and writes) exactly what is on the wire.</summary>
    private QueueClient RawQueue(string name) => new(Emulators.StorageConnectionString, name);
}
