using System.Text.Json;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>A fresh deployment serves from the popularity of recent events until its first model exists.</summary>
public sealed class ColdStartTests(EmptyHostFixture fixture) : IClassFixture<EmptyHostFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task BeforeAnyModelRecommendationsComeFromPopularityWithANullModelVersion()
    {
        await _client.PutItemAsync("pop-a", new Dictionary<string, object> { ["category"] = "pop" });
        await _client.PutItemAsync("pop-b", new Dictionary<string, object> { ["category"] = "pop" });
        await _client.PutItemAsync("pop-c", new Dictionary<string, object> { ["category"] = "other" });
        var events = new List<TestEvent>();
        foreach (var (item, clicks) in new[] { ("pop-a", 5), ("pop-c", 3), ("pop-b", 2) })
        {
            events.AddRange(Enumerable.Range(0, clicks).Select(n => new TestEvent($"{item}-{n}", $"fan-{n}", item)));
        }

        await _client.PostAllAsync(events);
        await _client.WaitForQueueDrainedAsync();

        var stranger = await _client.RecommendAsync("stranger", "k=3");
        Assert.Equal(JsonValueKind.Null, stranger.GetProperty("modelVersion").ValueKind);
        Assert.Equal("popularity", stranger.GetProperty("strategy").GetString());
        Assert.Equal(["pop-a", "pop-c", "pop-b"], stranger.ItemIds());

        var inCategory = await _client.RecommendAsync("stranger", "k=3&category=pop");
        Assert.Equal(["pop-a", "pop-b"], inCategory.ItemIds());

        // A known user's own interactions are left out unless asked for.
        Assert.Equal(["pop-c", "pop-b"], (await _client.RecommendAsync("fan-4", "k=3")).ItemIds());
        Assert.Equal(["pop-a", "pop-c", "pop-b"], (await _client.RecommendAsync("fan-4", "k=3&excludeSeen=false")).ItemIds());

        var (scores, answer) = await _client.ScoreAsync("stranger", ["pop-a", "pop-b"]);
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("modelVersion").ValueKind);
        Assert.True(scores["pop-a"] > scores["pop-b"], answer.ToString());
        Assert.Equal(JsonValueKind.Null, (await _client.GetJsonAsync("api/health")).GetProperty("modelVersion").ValueKind);
    }

    [Fact]
    public async Task UnknownUsersGetRecommendationsBeforeAnyModel()
    {
        var recommendations = await _client.RecommendAsync("nobody-knows-me", "k=10&excludeSeen=true");

        Assert.Equal("nobody-knows-me", recommendations.GetProperty("userId").GetString());
        Assert.Equal("popularity", recommendations.GetProperty("strategy").GetString());
        Assert.Equal(JsonValueKind.Null, recommendations.GetProperty("modelVersion").ValueKind);
        Assert.Equal(JsonValueKind.Array, recommendations.GetProperty("items").ValueKind);
    }
}
