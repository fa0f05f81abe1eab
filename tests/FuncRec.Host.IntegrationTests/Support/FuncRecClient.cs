using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>The calls tests make on the HTTP API, with the answers' status checked.</summary>
public static class FuncRecClient
{
    public static async Task<JsonElement> PostEventsAsync(this HttpClient client, IEnumerable<TestEvent> events)
    {
        using var response = await client.PostAsJsonAsync("api/events", events.ToArray());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/events answered {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Posts events in requests of <paramref name="perRequest"/>, each answered 202 with every event accepted.</summary>
    public static async Task PostAllAsync(this HttpClient client, IReadOnlyList<TestEvent> events, int perRequest = 200)
    {
        foreach (var chunk in events.Chunk(perRequest))
        {
            var answer = await client.PostEventsAsync(chunk);
            Assert.Equal(chunk.Length, answer.GetProperty("accepted").GetInt32());
        }
    }

    /// <summary>Waits until the queue consumer has taken every message off the queue (applied or poisoned).</summary>
    public static Task WaitForQueueDrainedAsync(this HttpClient client, TimeSpan? timeout = null)
        => Eventually.HoldsAsync(
            async () => (await client.GetJsonAsync("api/health")).GetProperty("queueDepth").GetInt64() == 0,
            timeout ?? TimeSpan.FromSeconds(30),
            "the event queue to drain");

    /// <summary>Runs a fine-tune cycle now and asserts it published and activated a version; returns the outcome.</summary>
    public static async Task<JsonElement> FineTuneAsync(this HttpClient client)
    {
        using var response = await client.PostAsync("api/models/fine-tune", null);
        var outcome = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"fine-tune answered {(int)response.StatusCode}: {outcome}");
        Assert.True(outcome.GetProperty("decision").GetString() == "published" && outcome.GetProperty("activated").GetBoolean(), $"fine-tune did not publish: {outcome}");
        return outcome;
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public static Task<JsonElement> RecommendAsync(this HttpClient client, string userId, string query = "")
        => client.GetJsonAsync($"api/recommendations/{Uri.EscapeDataString(userId)}{(query.Length == 0 ? string.Empty : "?" + query)}");

    public static string[] ItemIds(this JsonElement recommendations)
        => recommendations.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!).ToArray();

    /// <summary><c>POST /api/score</c>: the scores by item id, and the whole answer.</summary>
    public static async Task<(Dictionary<string, double> Scores, JsonElement Answer)> ScoreAsync(this HttpClient client, string userId, IEnumerable<string> itemIds)
    {
        using var response = await client.PostAsJsonAsync("api/score", new { userId, itemIds = itemIds.ToArray() });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /api/score answered {(int)response.StatusCode}: {answer}");
        var scores = answer.GetProperty("scores").EnumerateArray().ToDictionary(s => s.GetProperty("itemId").GetString()!, s => s.GetProperty("score").GetDouble());
        return (scores, answer);
    }

    public static async Task PutItemAsync(this HttpClient client, string id, object features)
    {
        using var response = await client.PutAsJsonAsync($"api/items/{Uri.EscapeDataString(id)}", new { features });
        Assert.True(response.IsSuccessStatusCode, $"PUT /api/items/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task PutUserAsync(this HttpClient client, string id, object features)
    {
        using var response = await client.PutAsJsonAsync($"api/users/{Uri.EscapeDataString(id)}", new { features });
        Assert.True(response.IsSuccessStatusCode, $"PUT /api/users/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The user's applied event count from <c>GET /api/users/{id}</c>, or null when the user does not exist (404).</summary>
    public static async Task<long?> EventCountAsync(this HttpClient client, string userId)
    {
        using var response = await client.GetAsync($"api/users/{Uri.EscapeDataString(userId)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var user = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"GET /api/users/{userId} answered {(int)response.StatusCode}: {user}");
        return user.GetProperty("eventCount").GetInt64();
    }
}
