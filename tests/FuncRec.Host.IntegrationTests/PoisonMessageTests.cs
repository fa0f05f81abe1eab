using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Embedded;
using FuncRec.Host.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// A message that can never apply goes to the poison queue at once with its reason; one that keeps failing for a
/// transient reason is retried with back-off and poisoned after the maximum dequeue count with its last error;
/// neither holds up or loses anything else.
/// </summary>
public sealed class PoisonMessageTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task AMessageThatIsNotABatchIsPoisonedAtOnceWithItsReason()
    {
        using var directory = new TemporaryDirectory("poison");
        await using var host = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast());
        var queue = host.Get<SqliteEventQueue>();
        var junk = new (string Body, string Reason)[]
        {
            ("this is not JSON at all", "not a JSON event batch"),
            ("""{"batch":"no-events"}""", "not a JSON event batch"),
            ("""{"batch":" ","accepted":"2026-01-01T00:00:00Z","events":[]}""", "lacks a batch id or its events"),
            ("""{"batch":"bad-event","accepted":"2026-01-01T00:00:00Z","events":[{"id":"e1","u":"user","i":"item","t":"teleport"}]}""", "is invalid"),
        };
        foreach (var (body, _) in junk)
        {
            await queue.EnqueueAsync(body, CancellationToken.None);
        }

        var good = Batch("after-junk", ("after-junk-1", "survivor"));
        await queue.EnqueueAsync(JsonSerializer.Serialize(good, Json), CancellationToken.None);

        await host.Client.WaitForQueueDrainedAsync();
        var poisoned = queue.PoisonMessages();
        Assert.Equal(junk.Length, poisoned.Count);
        foreach (var ((body, reason), message) in junk.Zip(poisoned))
        {
            Assert.Equal(body, message.Body);
            Assert.Contains(reason, message.Reason, StringComparison.Ordinal);
            Assert.Equal(1, message.DequeueCount);
        }

        Assert.Equal(1, await host.Client.EventCountAsync("survivor"));
    }

    [Fact]
    public async Task ABatchThatKeepsFailingIsRetriedThenPoisonedWithTheLastErrorAndNothingElseIsLost()
    {
        using var directory = new TemporaryDirectory("transient");
        await using var app = InProcessHost.Build(directory.Path, HostSettings.Fast());
        var services = app.Services;
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var queue = TestProcessors.Queue(services, directory.Path, clock);
        var users = new FailingUserStore(services.GetRequiredService<IUserStore>(), failingUserId: "unreachable");
        var processor = TestProcessors.Processor(services, users, clock);
        var consumer = new QueueConsumer(queue, processor, new QueueConsumerOptions { MaxDequeueCount = 3 }, NullLogger<QueueConsumer>.Instance);

        var failing = JsonSerializer.Serialize(Batch("failing", ("failing-1", "bystander"), ("failing-2", "unreachable"), ("failing-3", "bystander")), Json);
        var healthy = JsonSerializer.Serialize(Batch("healthy", ("healthy-1", "other"), ("healthy-2", "other")), Json);
        await queue.EnqueueAsync(failing, CancellationToken.None);
        await queue.EnqueueAsync(healthy, CancellationToken.None);

        var rounds = 0;
        while (await queue.CountAsync(CancellationToken.None) > 0)
        {
            Assert.True(++rounds <= 10, "the consumer kept the failing message for more than 10 rounds");
            var messages = await queue.ReceiveAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None);
            foreach (var message in messages)
            {
                await consumer.HandleAsync(message, CancellationToken.None);
            }

            // A failed message is released with a back-off: it is not offered again until the clock passes it.
            if (users.Failures == 1 && rounds == 1)
            {
                Assert.Empty(await queue.ReceiveAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
            }

            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(3, users.Failures);
        var poisoned = Assert.Single(queue.PoisonMessages());
        Assert.Equal(failing, poisoned.Body);
        Assert.Equal(3, poisoned.DequeueCount);
        Assert.Equal($"failed 3 times; last error: IOException: {FailingUserStore.FailureMessage(3)}", poisoned.Reason);
        Assert.Equal((1, 1), (consumer.Processed, consumer.Poisoned));

        // The other batch was applied, and the healthy user of the failing batch got its events once despite three deliveries.
        var store = services.GetRequiredService<IUserStore>();
        Assert.Equal(2, (await store.GetAsync("other", CancellationToken.None))!.Value.EventCount);
        Assert.Equal(2, (await store.GetAsync("bystander", CancellationToken.None))!.Value.EventCount);
        InProcessHost.ReleaseDatabase(services);
    }

    [Fact]
    public async Task A_user_the_database_refuses_sends_only_their_batch_to_the_poison_queue_and_everyone_else_keeps_being_stored()
    {
        // Short flush interval and visibility timeout, so that the whole course (3 refused flushes, a drop, two more
        // deliveries) takes seconds.
        using var directory = new TemporaryDirectory("refused");
        await using var host = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast(
            ("FuncRec:Embedded:WriteBehindMilliseconds", "200"),
            ("FuncRec:Consumer:VisibilityTimeout", "00:00:02"),
            ("FuncRec:Consumer:MaxDequeueCount", "3")));
        var database = host.Get<SqliteDatabase>();
        using (var writing = await database.EnterWriteAsync())
        {
            writing.Connection.Execute("CREATE TRIGGER refuse_user BEFORE INSERT ON users WHEN NEW.id = 'refused' BEGIN SELECT RAISE(ABORT, 'this user cannot be stored'); END");
        }

        // More events than a request applies itself: through the queue, as bulk ingestion goes.
        var events = Enumerable.Range(0, 12).Select(i => new TestEvent($"refused-batch-{i}", i < 2 ? "refused" : $"fine-{i}", $"item-{i}")).ToArray();
        await host.Client.PostEventsAsync(events);

        var queue = host.Get<SqliteEventQueue>();
        await Eventually.HoldsAsync(() => Task.FromResult(queue.PoisonMessages().Count > 0), TimeSpan.FromSeconds(60), "the refused user's batch in the poison queue");
        var poisoned = Assert.Single(queue.PoisonMessages());
        Assert.Contains("refused-batch-0", poisoned.Body, StringComparison.Ordinal);
        Assert.Contains("this user cannot be stored", poisoned.Reason, StringComparison.Ordinal);

        // The others of that batch were applied once, despite its three deliveries, and later writes are stored.
        await host.Client.PostEventsAsync(Enumerable.Range(2, 10).Select(i => new TestEvent($"later-{i}", $"fine-{i}", $"item-{i}")).Append(new TestEvent("later-0", "fine-12", "item-0")));
        await host.Client.WaitForQueueDrainedAsync();
        for (var i = 2; i < 12; i++)
        {
            Assert.Equal(2, await host.Client.EventCountAsync($"fine-{i}"));
        }

        await database.WriteBehind!.FlushAsync();
        using var connection = database.Open();
        var stored = connection.CreateCommand();
        stored.CommandText = "SELECT COUNT(*) FROM users WHERE id LIKE 'fine-%'";
        Assert.Equal(11L, (long)stored.ExecuteScalar()!);
    }

    private static EventBatch Batch(string id, params (string EventId, string UserId)[] events) => new()
    {
        BatchId = id,
        AcceptedAt = DateTimeOffset.UtcNow,
        Events = events.Select(e => new AcceptedEvent { EventId = e.EventId, UserId = e.UserId, ItemId = "poison-item", Type = "click" }).ToArray(),
    };
}
