using FuncRec.Embedded;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// <c>funcrec serve</c> killed with SIGKILL and restarted on the same data directory: nothing accepted (202) is
/// lost, nothing is applied twice, and published models survive.
/// </summary>
public sealed class CrashRecoveryTests
{
    private const int Users = 12;

    [Fact]
    public async Task KillNineLosesNoAcceptedEventAndReplayedEventIdsApplyNothingTwice()
    {
        using var directory = new TemporaryDirectory("crash");
        var environment = HostSettings.AsEnvironment(HostSettings.Fast());
        var catalog = TestCatalog.Create(users: Users);
        var history = catalog.History(eventsPerUser: 10, seed: 5);
        var burst = Enumerable.Range(0, 1920).Select(n => new TestEvent($"burst-{n}", catalog.Users[n % Users].Id, catalog.Items[(n * 7) % catalog.Items.Count].Id)).ToArray();

        string version;
        await using (var first = await ServeProcess.StartAsync(directory.Path, environment))
        {
            await catalog.PutAllAsync(first.Client);
            await first.Client.PostAllAsync(history, perRequest: 60);
            await first.Client.WaitForQueueDrainedAsync();
            version = (await first.Client.FineTuneAsync()).GetProperty("version").GetString()!;

            // Accepted means durable: kill the process the moment the last 202 arrives, while the consumer is busy.
            await Task.WhenAll(burst.Chunk(40).Chunk(6).Select(requests => Task.Run(async () =>
            {
                foreach (var request in requests)
                {
                    await first.Client.PostAllAsync(request, perRequest: 40);
                }
            })));
            await first.KillHardAsync();
        }

        var pendingAtKill = await QueueDepthAsync(directory.Path);

        await using (var second = await ServeProcess.StartAsync(directory.Path, environment))
        {
            // Messages the killed process had taken (or completed without flushing) are delivered again at the start.
            await second.Client.WaitForQueueDrainedAsync(TimeSpan.FromSeconds(90));
            Assert.True(history.Count + burst.Length == await TotalEventCountAsync(second.Client, catalog), $"{pendingAtKill} messages were pending at the kill");

            await second.Client.PostAllAsync(burst, perRequest: 40);
            await second.Client.WaitForQueueDrainedAsync();
            Assert.Equal(history.Count + burst.Length, await TotalEventCountAsync(second.Client, catalog));

            var models = await second.Client.GetJsonAsync("api/models");
            Assert.Contains(models.EnumerateArray(), m => m.GetProperty("manifest").GetProperty("version").GetString() == version && m.GetProperty("active").GetBoolean());
            Assert.Equal(version, (await second.Client.GetJsonAsync("api/models/current")).GetProperty("pointer").GetProperty("version").GetString());
            await Eventually.HoldsAsync(
                async () => (await second.Client.GetJsonAsync("api/health")).GetProperty("modelVersion").GetString() == version,
                TimeSpan.FromSeconds(10),
                "the restarted host to serve the published model");
            Assert.Equal(version, (await second.Client.RecommendAsync(catalog.Users[0].Id)).GetProperty("modelVersion").GetString());
        }

        // The event log (what fine-tuning trains on) holds every accepted event exactly once.
        var database = new SqliteDatabase(directory.Path);
        var batches = await new SqliteEventLog(database).ReadAsync(null, null, CancellationToken.None);
        InProcessHost.ReleaseDatabase(database);
        var logged = batches.SelectMany(b => b.Batch.Events).GroupBy(e => e.EventId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(history.Concat(burst), e => Assert.True(logged.GetValueOrDefault(e.EventId) == 1, $"{e.EventId} is logged {logged.GetValueOrDefault(e.EventId)} times ({pendingAtKill} messages were pending at the kill)"));
        Assert.Equal(history.Count + burst.Length, logged.Values.Sum());
    }

    private static async Task<long> QueueDepthAsync(string dataDirectory)
    {
        var database = new SqliteDatabase(dataDirectory);
        var depth = await new SqliteEventQueue(database, Microsoft.Extensions.Options.Options.Create(new EmbeddedOptions { DataDirectory = dataDirectory }), TimeProvider.System).CountAsync(CancellationToken.None);
        InProcessHost.ReleaseDatabase(database);
        return depth;
    }

    private static async Task<long> TotalEventCountAsync(HttpClient client, TestCatalog catalog)
    {
        var total = 0L;
        foreach (var user in catalog.Users)
        {
            total += await client.EventCountAsync(user.Id) ?? 0;
        }

        return total;
    }
}
