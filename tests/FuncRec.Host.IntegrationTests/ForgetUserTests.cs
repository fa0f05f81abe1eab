using System.Net;
using FuncRec.Application.Ports;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// <c>DELETE /api/users/{id}</c> forgets a user: their document is gone, they are served as a stranger, and the
/// next fine-tune trains without the events they had before the deletion. Two deployments receive the same
/// events in the same order; only one of them forgets the user, and their next models are compared.
/// </summary>
public sealed class ForgetUserTests
{
    private const string Forgotten = "forget-me";
    private const int BatchSize = 40;

    [Fact]
    public async Task ForgettingAUserRemovesThemAndKeepsTheirEarlierEventsOutOfTheNextFineTune()
    {
        using var withDeletion = new TemporaryDirectory("forget");
        using var withoutDeletion = new TemporaryDirectory("keep");
        // Every finite challenger is published; the hold-out (the newest batches holding a tenth of the window) is the
        // same two batches in both deployments, so their training windows differ only by the forgotten user's events.
        var settings = HostSettings.Fast(("FuncRec:FineTune:Tolerance", "1"), ("FuncRec:FineTune:HoldoutFraction", "0.1"));
        await using var forgetting = await InProcessHost.StartAsync(withDeletion.Path, settings);
        await using var keeping = await InProcessHost.StartAsync(withoutDeletion.Path, settings);
        var catalog = TestCatalog.Create(users: 10);

        // Before the first model the user has 4 events; between the first model and the deletion 5 more.
        var before = Batches("a", catalog, forgottenEvents: [4, 0, 0, 0, 0]);
        var between = Batches("b", catalog, forgottenEvents: [3, 0, 2, 0, 0]);
        var after = Batches("c", catalog, forgottenEvents: [0, 0, 0, 0, 0]);

        var results = await Task.WhenAll(RunAsync(forgetting, forget: true), RunAsync(keeping, forget: false));
        var (firstForgetting, nextForgetting) = results[0];
        var (firstKeeping, nextKeeping) = results[1];

        Assert.Equal(firstKeeping, firstForgetting);
        Assert.Equal(nextKeeping - between.Sum(batch => batch.Count(e => e.UserId == Forgotten)), nextForgetting);

        var log = await forgetting.Get<IEventLog>().ReadAsync(null, null, CancellationToken.None);
        Assert.Single(log, b => b.Batch.ForgottenUsers?.Contains(Forgotten) == true);
        Assert.Equal(HttpStatusCode.NotFound, (await forgetting.Client.GetAsync($"api/users/{Forgotten}")).StatusCode);

        async Task<(long First, long Next)> RunAsync(InProcessHost host, bool forget)
        {
            var client = host.Client;
            await catalog.PutAllAsync(client);
            await PostOneByOneAsync(client, before);
            var first = (await client.FineTuneAsync()).GetProperty("version").GetString()!;
            await PostOneByOneAsync(client, between);
            Assert.Equal("model", (await client.RecommendAsync(Forgotten)).GetProperty("strategy").GetString());

            if (forget)
            {
                Assert.Equal(9, await client.EventCountAsync(Forgotten));
                using (var deleted = await client.DeleteAsync($"api/users/{Forgotten}"))
                {
                    Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
                }

                Assert.Null(await client.EventCountAsync(Forgotten));
                var recommendations = await client.RecommendAsync(Forgotten);
                Assert.Equal("cold-start", recommendations.GetProperty("strategy").GetString());
                Assert.Equal(first, recommendations.GetProperty("modelVersion").GetString());
                Assert.Null((await host.Get<IUserStore>().GetAsync(Forgotten, CancellationToken.None))!.Value.Online);
                await ProblemAssert.IsNotFoundAsync(await client.DeleteAsync($"api/users/{Forgotten}"), "id", "deleting a forgotten user again");
            }

            await PostOneByOneAsync(client, after);
            var next = (await client.FineTuneAsync()).GetProperty("version").GetString()!;
            var registry = host.Get<IModelRegistry>();
            return ((await registry.GetManifestAsync(first, CancellationToken.None))!.DataWindow.Events,
                (await registry.GetManifestAsync(next, CancellationToken.None))!.DataWindow.Events);
        }
    }

    /// <summary>Each batch applied before the next is posted, so both deployments log the same batches in the same order.</summary>
    private static async Task PostOneByOneAsync(HttpClient client, IReadOnlyList<TestEvent[]> batches)
    {
        foreach (var batch in batches)
        {
            await client.PostAllAsync(batch, perRequest: BatchSize);
            await client.WaitForQueueDrainedAsync();
        }
    }

    /// <summary>Batches of <see cref="BatchSize"/> clicks; batch i holds <paramref name="forgottenEvents"/>[i] of the forgotten user's.</summary>
    private static IReadOnlyList<TestEvent[]> Batches(string prefix, TestCatalog catalog, int[] forgottenEvents)
    {
        var history = catalog.History(eventsPerUser: BatchSize * forgottenEvents.Length / catalog.Users.Count, seed: prefix[0], eventPrefix: prefix);
        return history.Chunk(BatchSize).Select((batch, i) => batch
            .Select((e, n) => n < forgottenEvents[i] ? e with { UserId = Forgotten } : e).ToArray()).ToArray();
    }
}
