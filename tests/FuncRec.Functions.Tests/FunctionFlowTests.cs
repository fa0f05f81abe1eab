using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Functions.Functions;
using FuncRec.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Functions.Tests;

[CollectionDefinition(Name)]
public sealed class FunctionsEmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "functions on emulators";
}

/// <summary>
/// The function classes, resolved from the app's real container and invoked directly against Azurite and
/// cosmosdb-server: HTTP ingest → queue message → queue function → Cosmos state and event log → timer → a new
/// model in Blob storage, active → the HTTP score function answers with it.
/// </summary>
[Collection(FunctionsEmulatorCollection.Name)]
public sealed class FunctionFlowTests(EmulatorFixture emulators)
{
    [Fact]
    public async Task Events_flow_from_the_http_function_through_the_queue_function_and_the_timer_to_a_served_model()
    {
        await using var app = new FunctionsHarness(FunctionsHarness.Settings(emulators, "flow"));
        var events = app.Function<EventFunctions>();
        var queue = RawQueue(app);

        // 1. Three batches posted through the HTTP function become three queue messages.
        for (var batch = 0; batch < 3; batch++)
        {
            var request = app.Request("POST", "/api/events", Enumerable.Range(0, 40).Select(i => new
            {
                eventId = $"b{batch}-e{i}",
                userId = $"u{i % 8}",
                itemId = $"i{(i * 7 + batch) % 20}",
                type = i % 3 == 0 ? "purchase" : "click",
            }).ToArray());
            var (status, body) = await FunctionsHarness.ExecuteAsync(request, await events.PostEvents(request));
            Assert.Equal(202, status);
            Assert.Equal(40, body.GetProperty("accepted").GetInt32());
        }

        var messages = (await queue.ReceiveMessagesAsync(32)).Value;
        Assert.Equal(3, messages.Length);

        // 2. The queue function applies each (the host would hand it the decoded text).
        foreach (var message in messages)
        {
            await events.ApplyEventBatch(DecodeAsTheHostDoes(message.MessageText), message.DequeueCount, CancellationToken.None);
        }

        var users = app.Services.GetRequiredService<IUserStore>();
        var user = (await users.GetAsync("u0", CancellationToken.None))!.Value;
        Assert.Equal(15, user.EventCount);
        var log = await app.Services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None);
        Assert.Equal(3, log.Count);
        Assert.Equal(120, log.Sum(b => b.Batch.Events.Count));

        // 3. The timer trains a first model, publishes it to Blob storage and makes it active.
        await app.Function<ModelFunctions>().FineTuneSchedule(new TimerInfo(), CancellationToken.None);
        var registry = app.Services.GetRequiredService<IModelRegistry>();
        var active = await registry.GetActiveAsync(CancellationToken.None);
        Assert.NotNull(active);
        var artifacts = await registry.LoadAsync(active.Version, CancellationToken.None);
        Assert.NotNull(artifacts);
        Assert.NotEmpty(artifacts.Onnx);

        // 4. The HTTP score function answers with that model.
        var scoreRequest = app.Request("POST", "/api/score", new { userId = "u0", itemIds = new[] { "i1", "i2", "unknown" } });
        var (scoreStatus, scores) = await FunctionsHarness.ExecuteAsync(scoreRequest, await app.Function<ServingFunctions>().Score(scoreRequest));
        Assert.Equal(200, scoreStatus);
        Assert.Equal(active.Version, scores.GetProperty("modelVersion").GetString());
        Assert.Equal(2, scores.GetProperty("scores").GetArrayLength());
        Assert.Equal("unknown", scores.GetProperty("unknownItems")[0].GetString());
    }

    [Fact]
    public async Task The_producer_writes_messages_in_the_encoding_host_json_tells_the_trigger_to_expect()
    {
        // Queued, not applied in the request (small posts are, and their message is gone by the answer).
        var settings = FunctionsHarness.Settings(emulators, "enc");
        settings["FuncRec:Ingest:ApplyInlineMaxEvents"] = "0";
        await using var app = new FunctionsHarness(settings);
        var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json"))).RootElement;
        var encoding = hostJson.GetProperty("extensions").GetProperty("queues").GetProperty("messageEncoding").GetString();
        var request = app.Request("POST", "/api/events", new[] { new { userId = "u1", itemId = "i1", type = "view" } });
        await app.Function<EventFunctions>().PostEvents(request);

        var raw = (await RawQueue(app).ReceiveMessagesAsync(1)).Value.Single().MessageText;
        Assert.Equal("base64", encoding);
        var batch = JsonSerializer.Deserialize<EventBatch>(Encoding.UTF8.GetString(Convert.FromBase64String(raw)), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal("u1", batch!.Events.Single().UserId);
    }

    [Fact]
    public async Task A_small_post_is_applied_in_the_request_on_Cosmos_and_its_held_message_removed()
    {
        await using var app = new FunctionsHarness(FunctionsHarness.Settings(emulators, "inline"));

        // What the instance's refresh service does at start (the harness runs no hosted services).
        await app.Services.GetRequiredService<ModelHost>().RefreshAsync(CancellationToken.None);
        var request = app.Request("POST", "/api/events", new[] { new { eventId = "x1", userId = "u1", itemId = "i1", type = "click" }, new { eventId = "x2", userId = "u1", itemId = "i2", type = "view" } });

        var (status, body) = await FunctionsHarness.ExecuteAsync(request, await app.Function<EventFunctions>().PostEvents(request));

        Assert.Equal(202, status);
        Assert.Equal(2, body.GetProperty("applied").GetInt32());
        Assert.Equal(2, (await app.Services.GetRequiredService<IUserStore>().GetAsync("u1", CancellationToken.None))!.Value.EventCount);
        Assert.Equal(2, (await app.Services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None)).Sum(b => b.Batch.Events.Count));
        Assert.Equal(0, (await RawQueue(app).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Redelivering_the_same_message_changes_nothing()
    {
        await using var app = new FunctionsHarness(FunctionsHarness.Settings(emulators, "redo"));
        var events = app.Function<EventFunctions>();
        var message = BatchMessage("batch-1", Enumerable.Range(0, 10).Select(i => ($"e{i}", "u1", $"i{i}")));
        await events.ApplyEventBatch(message, 1, CancellationToken.None);
        var users = app.Services.GetRequiredService<IUserStore>();
        var first = await users.GetAsync("u1", CancellationToken.None);

        await events.ApplyEventBatch(message, 2, CancellationToken.None);
        var second = await users.GetAsync("u1", CancellationToken.None);

        Assert.Equal(first!.ETag, second!.ETag);
        Assert.Equal(10, second.Value.EventCount);
        var log = await app.Services.GetRequiredService<IEventLog>().ReadAsync(null, null, CancellationToken.None);
        Assert.Single(log);
    }

    [Fact]
    public async Task Two_queue_function_instances_on_the_same_user_lose_no_update()
    {
        var settings = FunctionsHarness.Settings(emulators, "race");
        await using var left = new FunctionsHarness(settings);
        await using var right = new FunctionsHarness(settings);
        var leftBatches = Enumerable.Range(0, 6).Select(b => BatchMessage($"L{b}", Enumerable.Range(0, 15).Select(i => ($"L{b}-{i}", $"u{i % 3}", $"i{i}")))).ToArray();
        var rightBatches = Enumerable.Range(0, 6).Select(b => BatchMessage($"R{b}", Enumerable.Range(0, 15).Select(i => ($"R{b}-{i}", $"u{i % 3}", $"i{i + 5}")))).ToArray();

        await Task.WhenAll(
            Task.Run(async () =>
            {
                foreach (var message in leftBatches)
                {
                    await left.Function<EventFunctions>().ApplyEventBatch(message, 1, CancellationToken.None);
                }
            }),
            Task.Run(async () =>
            {
                foreach (var message in rightBatches)
                {
                    await right.Function<EventFunctions>().ApplyEventBatch(message, 1, CancellationToken.None);
                }
            }));

        var users = left.Services.GetRequiredService<IUserStore>();
        for (var u = 0; u < 3; u++)
        {
            var user = (await users.GetAsync($"u{u}", CancellationToken.None))!.Value;
            Assert.Equal(60, user.EventCount);
            Assert.Equal(60, user.AppliedEventIds.Distinct().Count());
        }
    }

    [Fact]
    public async Task A_message_that_can_never_apply_goes_to_the_poison_queue_at_once_with_its_reason()
    {
        var settings = FunctionsHarness.Settings(emulators, "poison");
        await using var app = new FunctionsHarness(settings);
        await app.Function<EventFunctions>().ApplyEventBatch("{ this is not a batch", 1, CancellationToken.None);

        var poison = new QueueClient(emulators.StorageConnectionString, settings["FuncRecEventQueue"] + "-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var message = (await poison.ReceiveMessagesAsync(1)).Value.Single();
        var poisoned = Azure.PoisonedMessage.Parse(message.MessageText);
        Assert.Contains("not a JSON event batch", poisoned.Reason);
        Assert.Equal("{ this is not a batch", poisoned.ReadBody());
    }

    private static QueueClient RawQueue(FunctionsHarness app)
        => new(app.Configuration["AzureWebJobsStorage"], app.Configuration["FuncRecEventQueue"], new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    private static string DecodeAsTheHostDoes(string raw) => Encoding.UTF8.GetString(Convert.FromBase64String(raw));

    private static string BatchMessage(string batchId, IEnumerable<(string EventId, string UserId, string ItemId)> events)
        => JsonSerializer.Serialize(new EventBatch
        {
            BatchId = batchId,
            AcceptedAt = DateTimeOffset.UtcNow,
            Events = events.Select(e => new AcceptedEvent { EventId = e.EventId, UserId = e.UserId, ItemId = e.ItemId, Type = "click" }).ToArray(),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
}
