using System.Globalization;
using System.Text;
using System.Text.Json;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// The README's "bring a history and a model trained offline" path, command by command as a user runs it:
/// <c>funcrec import</c> (more messages than the queue's backlog bound, with no server running), <c>train</c>,
/// <c>eval</c>, <c>publish</c>, and then a server on that data directory recommending with the published model.
/// </summary>
public sealed class OfflineWorkflowTests
{
    private const int Users = 30;
    private const int Items = 40;
    private const int Events = 2500;

    [Fact]
    public async Task AHistoryImportedTrainedEvaluatedAndPublishedOfflineIsWhatTheServerThenServes()
    {
        using var source = new TemporaryDirectory("import-source");
        using var data = new TemporaryDirectory("import-data");
        var perUser = WriteHistory(source.Path);

        // A backlog bound of 1 message and a short wait: an import that waited for a consumer would fail here.
        var environment = new Dictionary<string, string> { ["FuncRec__Ingest__MaxQueueBacklog"] = "1", ["FuncRec__Ingest__BacklogWaitSeconds"] = "2" };
        var import = await CliProcess.RunAsync(["import", source.Path, "--data-dir", data.Path], environment);
        Assert.True(import.ExitCode == 0, import.Output);
        Assert.Contains($"Imported {Users} users, {Items} items, {Events} events (0 refused)", import.Output, StringComparison.Ordinal);

        var modelFile = Path.Combine(source.Path, "model.bin");
        var train = await CliProcess.RunAsync(["train", source.Path, "--out", modelFile]);
        Assert.True(train.ExitCode == 0, train.Output);
        Assert.True(File.Exists(modelFile), train.Output);

        var evaluation = await CliProcess.RunAsync(["eval", source.Path, "--model", modelFile]);
        Assert.True(evaluation.ExitCode == 0, evaluation.Output);
        Assert.Contains("recall@10", evaluation.Output, StringComparison.OrdinalIgnoreCase);

        var publish = await CliProcess.RunAsync(["publish", modelFile, "--data-dir", data.Path]);
        Assert.True(publish.ExitCode == 0, publish.Output);
        var version = publish.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];

        await using var host = await InProcessHost.StartAsync(data.Path, HostSettings.Fast());
        Assert.Equal(version, (await host.Client.GetJsonAsync("api/models/current")).GetProperty("pointer").GetProperty("version").GetString());
        await Eventually.HoldsAsync(
            async () => (await host.Client.RecommendAsync("u3")).GetProperty("modelVersion").GetString() == version,
            TimeSpan.FromSeconds(30),
            "the server loads the published model");
        var recommendations = await host.Client.RecommendAsync("u3");
        Assert.Equal(10, recommendations.ItemIds().Length);
        foreach (var (user, count) in perUser)
        {
            Assert.Equal(count, await host.Client.EventCountAsync(user));
        }
    }

    /// <summary>Users, items and time-stamped events in the import format; returns each user's event count.</summary>
    private static Dictionary<string, long> WriteHistory(string directory)
    {
        var random = new Random(5);
        File.WriteAllLines(Path.Combine(directory, "users.jsonl"), Enumerable.Range(0, Users).Select(u => JsonSerializer.Serialize(new { id = $"u{u}", features = new { segment = $"s{u % 3}" } })));
        File.WriteAllLines(Path.Combine(directory, "items.jsonl"), Enumerable.Range(0, Items).Select(i => JsonSerializer.Serialize(new { id = $"i{i}", features = new { category = new[] { $"c{i % 5}" } } })));
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var csv = new StringBuilder("eventId,userId,itemId,type,timestamp\n");
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var e = 0; e < Events; e++)
        {
            // Each user prefers the items of one category, so a model has something to learn.
            var user = random.Next(Users);
            var item = random.NextDouble() < 0.8 ? (user % 5) + (5 * random.Next(Items / 5)) : random.Next(Items);
            csv.Append(CultureInfo.InvariantCulture, $"e{e},u{user},i{item},{(e % 4 == 0 ? "purchase" : "click")},{start.AddMinutes(e):O}\n");
            counts[$"u{user}"] = counts.GetValueOrDefault($"u{user}") + 1;
        }

        File.WriteAllText(Path.Combine(directory, "events.csv"), csv.ToString());
        return counts;
    }
}
