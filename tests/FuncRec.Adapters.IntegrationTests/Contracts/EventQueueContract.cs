using System.Diagnostics;
using System.Text;
using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.Application.Ports;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Contracts;

/// <summary>
/// What every event queue does: durable enqueue, receive with a visibility timeout (at-least-once), complete, release
/// for a retry, dead-letter with a reason, messages up to <see cref="IEventQueue.MaxMessageBytes"/>.
/// </summary>
public abstract class EventQueueContract : PortContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private IEventQueue Queue => Harness.Queue;

    private IEventQueueReceiver Receiver => Harness.Receiver;

    [Fact]
    public async Task Enqueued_message_is_received_with_its_body_and_a_first_delivery_count()
    {
        await Queue.EnqueueAsync("""{"batch":"b1"}""", Cancellation);

        var message = Assert.Single(await Receiver.ReceiveAsync(10, Lease, Cancellation));

        Assert.Equal("""{"batch":"b1"}""", message.Body);
        Assert.Equal(1, message.DequeueCount);
        Assert.False(string.IsNullOrEmpty(message.Id));
    }

    [Fact]
    public async Task Receive_of_an_empty_queue_returns_nothing()
    {
        Assert.Empty(await Receiver.ReceiveAsync(10, Lease, Cancellation));
        Assert.Equal(0, await Queue.CountAsync(Cancellation));
    }

    [Fact]
    public async Task Received_message_stays_hidden_until_its_visibility_timeout_passes_and_then_comes_back()
    {
        await Queue.EnqueueAsync("m1", Cancellation);
        var first = Assert.Single(await Receiver.ReceiveAsync(1, TimeSpan.FromSeconds(1), Cancellation));

        Assert.Empty(await Receiver.ReceiveAsync(1, Lease, Cancellation));
        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        var again = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));

        Assert.Equal(first.Id, again.Id);
        Assert.Equal("m1", again.Body);
        Assert.Equal(2, again.DequeueCount);
    }

    [Fact]
    public async Task Held_message_is_hidden_from_consumers_and_gone_once_its_producer_removes_it()
    {
        var held = await Queue.EnqueueHeldAsync("h1", Lease, Cancellation);

        Assert.Empty(await Receiver.ReceiveAsync(10, Lease, Cancellation));

        await Queue.RemoveHeldAsync(held, Cancellation);

        Assert.Equal(0, await Queue.CountAsync(Cancellation));
        Assert.Empty(await Receiver.ReceiveAsync(10, Lease, Cancellation));
    }

    [Fact]
    public async Task Held_message_its_producer_never_removes_reaches_a_consumer_when_the_hold_ends()
    {
        await Queue.EnqueueHeldAsync("h1", TimeSpan.FromSeconds(3), Cancellation);
        Assert.Empty(await Receiver.ReceiveAsync(10, Lease, Cancellation));

        await Task.Delay(TimeSpan.FromSeconds(3.5), Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(10, Lease, Cancellation));

        Assert.Equal("h1", message.Body);
        Assert.Equal(1, message.DequeueCount);
    }

    [Fact]
    public async Task Removing_a_held_message_a_consumer_has_received_leaves_it_to_that_consumer()
    {
        var held = await Queue.EnqueueHeldAsync("h1", TimeSpan.FromSeconds(1), Cancellation);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(10, TimeSpan.FromSeconds(1), Cancellation));

        await Queue.RemoveHeldAsync(held, Cancellation);

        // Still there for the consumer: if it failed now, the message would come back, and completing works.
        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        var again = Assert.Single(await Receiver.ReceiveAsync(10, Lease, Cancellation));
        Assert.Equal(message.Id, again.Id);
        await Receiver.CompleteAsync(again, Cancellation);
        Assert.Equal(0, await Queue.CountAsync(Cancellation));
    }

    [Fact]
    public async Task Completed_message_is_gone()
    {
        await Queue.EnqueueAsync("m1", Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(1, TimeSpan.FromSeconds(1), Cancellation));

        await Receiver.CompleteAsync(message, Cancellation);

        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        Assert.Empty(await Receiver.ReceiveAsync(10, Lease, Cancellation));
        Assert.Equal(0, await Queue.CountAsync(Cancellation));
    }

    [Fact]
    public async Task Released_message_is_delivered_again_with_a_higher_delivery_count()
    {
        await Queue.EnqueueAsync("m1", Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));

        await Receiver.ReleaseAsync(message, TimeSpan.Zero, Cancellation);

        var again = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));
        Assert.Equal(message.Id, again.Id);
        Assert.Equal(2, again.DequeueCount);
    }

    [Fact]
    public async Task Released_message_with_a_delay_stays_hidden_for_that_delay()
    {
        await Queue.EnqueueAsync("m1", Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));

        await Receiver.ReleaseAsync(message, TimeSpan.FromSeconds(1), Cancellation);

        Assert.Empty(await Receiver.ReceiveAsync(1, Lease, Cancellation));
        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));
    }

    [Fact]
    public async Task Dead_lettered_message_leaves_the_queue_for_the_poison_queue_with_its_reason()
    {
        await Queue.EnqueueAsync("""{"not":"a batch"}""", Cancellation);
        await Queue.EnqueueAsync("keep", Cancellation);
        var messages = await Receiver.ReceiveAsync(2, TimeSpan.FromSeconds(1), Cancellation);
        var poison = messages.Single(m => m.Body != "keep");

        await Receiver.DeadLetterAsync(poison, "invalid content: no events", Cancellation);
        await Receiver.CompleteAsync(messages.Single(m => m.Body == "keep"), Cancellation);

        var record = Assert.Single(await Harness.ReadPoisonAsync());
        Assert.Equal(new PoisonRecord("""{"not":"a batch"}""", "invalid content: no events", 1), record);
        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        Assert.Empty(await Receiver.ReceiveAsync(10, Lease, Cancellation));
    }

    [Fact]
    public async Task Message_of_the_largest_allowed_size_round_trips()
    {
        var body = MessageOfUtf8Size(Queue.MaxMessageBytes);

        await Queue.EnqueueAsync(body, Cancellation);

        var message = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));
        Assert.Equal(body, message.Body);
    }

    [Fact]
    public async Task Dead_lettering_a_message_of_the_largest_size_keeps_its_whole_body()
    {
        var body = MessageOfUtf8Size(Queue.MaxMessageBytes);
        await Queue.EnqueueAsync(body, Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));

        await Receiver.DeadLetterAsync(message, new string('r', 5000), Cancellation);

        Assert.Equal(body, Assert.Single(await Harness.ReadPoisonAsync()).Body);
    }

    [Fact]
    public async Task Receive_hands_out_at_most_the_number_asked_for_and_count_sees_every_waiting_message()
    {
        for (var i = 0; i < 5; i++)
        {
            await Queue.EnqueueAsync($"m{i}", Cancellation);
        }

        Assert.Equal(5, await Queue.CountAsync(Cancellation));
        var received = await Receiver.ReceiveAsync(2, Lease, Cancellation);
        Assert.Equal(2, received.Count);
        Assert.Equal(3, (await Receiver.ReceiveAsync(10, Lease, Cancellation)).Count);
    }

    [Fact]
    public async Task Wait_for_messages_returns_within_the_longest_wait()
    {
        var stopwatch = Stopwatch.StartNew();

        await Receiver.WaitForMessagesAsync(TimeSpan.FromMilliseconds(300), Cancellation);

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Wait_for_messages_returns_early_when_this_process_enqueues()
    {
        var waiting = Receiver.WaitForMessagesAsync(TimeSpan.FromSeconds(20), Cancellation);
        var stopwatch = Stopwatch.StartNew();

        await Queue.EnqueueAsync("wake up", Cancellation);
        await waiting;

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Wait_for_room_returns_within_the_longest_wait()
    {
        var stopwatch = Stopwatch.StartNew();

        await Queue.WaitForRoomAsync(TimeSpan.FromMilliseconds(300), Cancellation);

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Wait_for_room_returns_early_when_this_process_completes_a_message()
    {
        await Queue.EnqueueAsync("done soon", Cancellation);
        var message = Assert.Single(await Receiver.ReceiveAsync(1, Lease, Cancellation));
        var waiting = Queue.WaitForRoomAsync(TimeSpan.FromSeconds(20), Cancellation);
        var stopwatch = Stopwatch.StartNew();

        await Receiver.CompleteAsync(message, Cancellation);
        await waiting;

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(0, await Queue.CountAsync(Cancellation));
    }

    /// <summary>A JSON-like body of exactly <paramref name="bytes"/> UTF-8 bytes, with quotes and non-ASCII text (which grow when escaped).</summary>
    private static string MessageOfUtf8Size(int bytes)
    {
        const string Event = """{"id":"é-ü","u":"user","i":"item"},""";
        var eventBytes = Encoding.UTF8.GetByteCount(Event);
        var builder = new StringBuilder("""{"events":[""");
        var size = builder.Length;
        while (size + eventBytes + 64 < bytes)
        {
            builder.Append(Event);
            size += eventBytes;
        }

        return builder.Append('x', bytes - size).ToString();
    }
}

public sealed class SqliteEventQueueContractTests : EventQueueContract
{
    [Fact]
    public async Task A_held_message_is_not_counted_while_its_hold_lasts_and_is_once_the_hold_ends()
    {
        // The local host's backpressure counts the queue: a post being applied in its request is not consumers' backlog.
        await Harness.Queue.EnqueueAsync("m1", Cancellation);
        await Harness.Queue.EnqueueHeldAsync("h1", TimeSpan.FromSeconds(1), Cancellation);

        Assert.Equal(1, await Harness.Queue.CountAsync(Cancellation));
        await Task.Delay(TimeSpan.FromSeconds(1.3), Cancellation);
        Assert.Equal(2, await Harness.Queue.CountAsync(Cancellation));
    }

    protected override AdapterHarness CreateHarness() => new EmbeddedHarness();
}

/// <summary>The same contract while the stores write behind: completions wait for a flush (2 s) longer than the tests' leases.</summary>
public sealed class SqliteWriteBehindEventQueueContractTests : EventQueueContract
{
    protected override AdapterHarness CreateHarness() => new EmbeddedHarness(writeBehindMilliseconds: 2000);
}

[Collection(EmulatorCollections.Queues)]
public sealed class StorageQueueEventQueueContractTests(EmulatorFixture emulators) : EventQueueContract
{
    protected override AdapterHarness CreateHarness() => new AzureHarness(emulators);
}
