using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Embedded;
using FuncRec.Host.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// A small post (what an app sends when a user just did something) is stored, applied in the request and then taken
/// off the queue, so the app's next call sees it; a bigger one goes through the queue consumer; and a small post that
/// cannot be applied in the request is still applied, by a consumer once its hold ends, and only once.
/// </summary>
public sealed class InlineApplyTests
{
    [Fact]
    public async Task ASmallPostIsAppliedBeforeItsAnswerAndABigOneGoesThroughTheConsumer()
    {
        using var directory = new TemporaryDirectory("inline");
        await using var host = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast(("FuncRec:Ingest:ApplyInlineMaxEvents", "3")));

        // Posts are applied in the request once the instance has looked for its model (at start, in the background).
        await Eventually.HoldsAsync(
            async () => (await host.Client.GetJsonAsync("api/health")).GetProperty("lastModelRefresh").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(30),
            "the first model refresh");

        var small = await host.Client.PostEventsAsync([new("s1", "alice", "i1"), new("s2", "alice", "i2"), new("s3", "alice", "i3")]);

        Assert.Equal(3, small.GetProperty("applied").GetInt32());
        Assert.Equal(3, await host.Client.EventCountAsync("alice"));
        Assert.Equal(0, QueueRows(host));

        var big = await host.Client.PostEventsAsync(Enumerable.Range(0, 4).Select(i => new TestEvent($"b{i}", "bob", $"i{i}")));

        Assert.Equal(4, big.GetProperty("accepted").GetInt32());
        Assert.Equal(0, big.GetProperty("applied").GetInt32());
        await host.Client.WaitForQueueDrainedAsync();
        Assert.Equal(4, await host.Client.EventCountAsync("bob"));

        // A retry of the small post, applied in the request again, changes nothing.
        var retry = await host.Client.PostEventsAsync([new("s1", "alice", "i1"), new("s2", "alice", "i2"), new("s3", "alice", "i3")]);
        Assert.Equal(3, retry.GetProperty("applied").GetInt32());
        Assert.Equal(3, await host.Client.EventCountAsync("alice"));
    }

    [Fact]
    public async Task ASmallPostThatFailsToApplyInTheRequestIsAppliedOnceByAConsumerWhenItsHoldEnds()
    {
        await using var rig = await HandBuiltIngest.CreateAsync("inline-failure");
        var failing = new FailingUserStore(rig.Users, failingUserId: "unreachable");

        using var body = JsonDocument.Parse("""
            [{"eventId":"f1","userId":"bystander","itemId":"i1","type":"click"},
             {"eventId":"f2","userId":"unreachable","itemId":"i2","type":"click"}]
            """);
        var result = await rig.Ingestion(rig.Processor(failing), rig.Queue).IngestAsync(body.RootElement, CancellationToken.None);

        // Accepted (stored), not applied: the unreachable user's store failed. The bystander's event did apply.
        Assert.Equal((2, 0), (result.Accepted, result.Applied));
        Assert.Equal(1, failing.Failures);
        Assert.Equal(1, (await rig.Users.GetAsync("bystander", CancellationToken.None))!.Value.EventCount);
        Assert.Empty(await rig.Queue.ReceiveAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));

        await rig.ConsumeAfterTheHoldAsync(rig.Processor(rig.Users));

        Assert.Equal(1, (await rig.Users.GetAsync("bystander", CancellationToken.None))!.Value.EventCount);
        Assert.Equal(1, (await rig.Users.GetAsync("unreachable", CancellationToken.None))!.Value.EventCount);
        Assert.Equal(0, await rig.Queue.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ASmallPostAppliedInTheRequestWhoseHeldMessageCannotBeRemovedIsNotAppliedAgainByTheConsumer()
    {
        await using var rig = await HandBuiltIngest.CreateAsync("inline-remove-failure");
        var processor = rig.Processor(rig.Users);

        using var body = JsonDocument.Parse("""[{"eventId":"r1","userId":"carol","itemId":"i1","type":"click"}]""");
        var result = await rig.Ingestion(processor, new UnremovableHeldMessages(rig.Queue)).IngestAsync(body.RootElement, CancellationToken.None);

        Assert.Equal((1, 1), (result.Accepted, result.Applied));
        await rig.ConsumeAfterTheHoldAsync(processor);

        Assert.Equal(1, (await rig.Users.GetAsync("carol", CancellationToken.None))!.Value.EventCount);
        Assert.Equal(0, await rig.Queue.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ASmallPostsWritesAreMarkedAsACallerWaitingAndABigPostsAreNot()
    {
        await using var rig = await HandBuiltIngest.CreateAsync("inline-urgency");
        var queue = new UrgencyRecordingQueue(rig.Queue);
        var ingestion = rig.Ingestion(rig.Processor(rig.Users), queue);

        using var small = JsonDocument.Parse("""[{"eventId":"w1","userId":"dana","itemId":"i1","type":"click"}]""");
        Assert.Equal(1, (await ingestion.IngestAsync(small.RootElement, CancellationToken.None)).Applied);
        using var big = JsonDocument.Parse(JsonSerializer.Serialize(Enumerable.Range(0, 40).Select(i => new { eventId = $"b{i}", userId = "erin", itemId = $"i{i}", type = "click" })));
        Assert.Equal(0, (await ingestion.IngestAsync(big.RootElement, CancellationToken.None)).Applied);

        // The held message of the small post was written as urgent; the big post's message (ingestion) was not.
        Assert.Equal(new[] { ("held", true), ("queued", false) }, queue.Writes);
    }

    [Fact]
    public async Task ABatchAppliedOnAnInstanceThatHasNotRefreshedYetLearnsAgainstTheActiveModel()
    {
        using var directory = new TemporaryDirectory("cold-instance");
        var catalog = TestCatalog.Create(users: 8);
        string version;
        await using (var warm = await InProcessHost.StartAsync(directory.Path, HostSettings.Fast()))
        {
            await catalog.PutAllAsync(warm.Client);
            await warm.Client.PostAllAsync(catalog.History(eventsPerUser: 10, seed: 3), perRequest: 20);
            await warm.Client.WaitForQueueDrainedAsync();
            version = (await warm.Client.FineTuneAsync()).GetProperty("version").GetString()!;
        }

        // A second instance over the same data, built but not started: no refresh has run.
        await using var app = InProcessHost.Build(directory.Path, HostSettings.Fast());
        var services = app.Services;
        Assert.Null(services.GetRequiredService<ModelHost>().LastRefresh);
        var batch = new EventBatch
        {
            BatchId = "cold-1",
            AcceptedAt = DateTimeOffset.UtcNow,
            Events = [new AcceptedEvent { EventId = "cold-e1", UserId = catalog.Users[0].Id, ItemId = catalog.Items[0].Id, Type = "purchase" }],
        };

        await services.GetRequiredService<EventBatchProcessor>().ApplyAsync(batch, CancellationToken.None);

        var document = (await services.GetRequiredService<IUserStore>().GetAsync(catalog.Users[0].Id, CancellationToken.None))!.Value;
        Assert.Equal(version, document.Online?.ModelVersion);
        InProcessHost.ReleaseDatabase(services);
    }

    /// <summary>
    /// A host built but not started (no consumer runs), its model looked for, and the ingest path put together by
    /// hand on a manual clock, so a test decides when a hold ends and who consumes.
    /// </summary>
    private sealed class HandBuiltIngest : IAsyncDisposable
    {
        private readonly TemporaryDirectory _directory;
        private readonly WebApplication _app;
        private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

        private HandBuiltIngest(TemporaryDirectory directory, WebApplication app)
        {
            _directory = directory;
            _app = app;
            Queue = TestProcessors.Queue(app.Services, directory.Path, _clock);
        }

        public SqliteEventQueue Queue { get; }

        public IUserStore Users => _app.Services.GetRequiredService<IUserStore>();

        private IOptions<FuncRecOptions> Options => _app.Services.GetRequiredService<IOptions<FuncRecOptions>>();

        public static async Task<HandBuiltIngest> CreateAsync(string name)
        {
            var directory = new TemporaryDirectory(name);
            var rig = new HandBuiltIngest(directory, InProcessHost.Build(directory.Path, HostSettings.Fast()));
            await rig._app.Services.GetRequiredService<ModelHost>().RefreshAsync(CancellationToken.None);
            return rig;
        }

        public EventBatchProcessor Processor(IUserStore users) => TestProcessors.Processor(_app.Services, users, _clock);

        public EventIngestionService Ingestion(EventBatchProcessor processor, IEventQueue queue)
            => new(queue, processor, _app.Services.GetRequiredService<ModelHost>(), Options, _clock, NullLogger<EventIngestionService>.Instance);

        /// <summary>Lets the inline hold run out, then a consumer takes the one message left and handles it.</summary>
        public async Task ConsumeAfterTheHoldAsync(EventBatchProcessor processor)
        {
            _clock.Advance(TimeSpan.FromSeconds(Options.Value.Ingest.InlineHoldSeconds + 1));
            var message = Assert.Single(await Queue.ReceiveAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None));
            await new QueueConsumer(Queue, processor, new QueueConsumerOptions(), NullLogger<QueueConsumer>.Instance).HandleAsync(message, CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            InProcessHost.ReleaseDatabase(_app.Services);
            await _app.DisposeAsync();
            _directory.Dispose();
        }
    }

    /// <summary>Every row of the SQLite queue, held ones included (the queue's own count leaves those out while held).</summary>
    /// <summary>Rows in the queue table once deferred writes are flushed (the local host stores a held message's removal with its next flush).</summary>
    private static long QueueRows(InProcessHost host)
    {
        var database = host.Get<SqliteDatabase>();
        database.WriteBehind?.FlushAsync().GetAwaiter().GetResult();
        using var connection = database.Open();
        return (long)connection.Prepared("SELECT COUNT(*) FROM queue").ExecuteScalar()!;
    }

    /// <summary>A queue that records, for each message written, whether the writer had a caller waiting (<see cref="CallerWaiting"/>).</summary>
    private sealed class UrgencyRecordingQueue(IEventQueue inner) : IEventQueue
    {
        public List<(string Kind, bool Urgent)> Writes { get; } = [];

        public int MaxMessageBytes => inner.MaxMessageBytes;

        public Task EnqueueAsync(string batchJson, CancellationToken cancellationToken)
        {
            Writes.Add(("queued", CallerWaiting.IsActive));
            return inner.EnqueueAsync(batchJson, cancellationToken);
        }

        public Task<HeldMessage> EnqueueHeldAsync(string batchJson, TimeSpan hold, CancellationToken cancellationToken)
        {
            Writes.Add(("held", CallerWaiting.IsActive));
            return inner.EnqueueHeldAsync(batchJson, hold, cancellationToken);
        }

        public Task RemoveHeldAsync(HeldMessage message, CancellationToken cancellationToken) => inner.RemoveHeldAsync(message, cancellationToken);

        public Task<long> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);
    }

    /// <summary>A queue whose held messages cannot be removed (the storage call fails), as after a lost connection.</summary>
    private sealed class UnremovableHeldMessages(IEventQueue inner) : IEventQueue
    {
        public int MaxMessageBytes => inner.MaxMessageBytes;

        public Task EnqueueAsync(string batchJson, CancellationToken cancellationToken) => inner.EnqueueAsync(batchJson, cancellationToken);

        public Task<HeldMessage> EnqueueHeldAsync(string batchJson, TimeSpan hold, CancellationToken cancellationToken) => inner.EnqueueHeldAsync(batchJson, hold, cancellationToken);

        public Task RemoveHeldAsync(HeldMessage message, CancellationToken cancellationToken) => throw new IOException("the queue did not answer");

        public Task<long> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);
    }
}
