using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// Every refusal of bad input over HTTP: 400 with ProblemDetails (<c>application/problem+json</c>, an
/// <c>errors</c> object naming the field, and a <c>field</c> extension), 404 for things that do not exist, and
/// inside a 202, each refused event with its index, field and reason.
/// </summary>
[Collection(TrainedHostCollection.Name)]
public sealed class ApiValidationTests(TrainedHostFixture fixture)
{
    /// <summary>The field of a rejection that concerns the event as a whole: its index, e.g. <c>[3]</c>.</summary>
    private const string WholeEvent = "[index]";
    private static readonly string TooLongId = new('x', 129);

    private readonly HttpClient _client = fixture.Client;

    public static TheoryData<string, string> EventBodiesThatAreNotABatch => new()
    {
        { "not JSON", "this is not JSON {" },
        { "JSON with trailing garbage", "[] and more" },
        { "only whitespace", "   " },
        { "an object", """{"userId":"u0","itemId":"i0-0","type":"click"}""" },
        { "a string", "\"events\"" },
        { "a number", "42" },
        { "null", "null" },
        { "over 1000 events", "[" + string.Join(",", Enumerable.Repeat("{}", 1001)) + "]" },
    };

    [Theory]
    [MemberData(nameof(EventBodiesThatAreNotABatch))]
    public async Task PostingEventsThatAreNotABatchIsRefusedWithProblemDetails(string because, string body)
    {
        using var response = await _client.SendAsync(HttpMethod.Post, "api/events", body);

        await ProblemAssert.IsValidationProblemAsync(response, "$", because);
    }

    [Fact]
    public async Task PostingEventsThatAreEmptyInvalidUtf8OrOverTheByteLimitIsRefused()
    {
        // Fewer than 1000 events, so the byte limit is what refuses them.
        var oversized = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat($$"""{"userId":"{{new string('u', 100)}}","itemId":"i0-0","type":"click"}""", 600)) + "]");
        Assert.True(oversized.Length > TrainedHostFixture.MaxRequestBytes);

        await ProblemAssert.IsValidationProblemAsync(await _client.SendAsync(HttpMethod.Post, "api/events", []), "$", "an empty body");
        await ProblemAssert.IsValidationProblemAsync(await _client.SendAsync(HttpMethod.Post, "api/events", [(byte)'[', 0xC3, 0x28, (byte)']']), "$", "invalid UTF-8");
        await ProblemAssert.IsValidationProblemAsync(await _client.SendAsync(HttpMethod.Post, "api/events", oversized), "$", "a declared length over the limit");
        await ProblemAssert.IsValidationProblemAsync(await _client.SendAsync(HttpMethod.Post, "api/events", oversized, declareLength: false), "$", "a chunked body over the limit");
    }

    [Fact]
    public async Task InvalidEventsAreRejectedOneByOneInsideA202AndTheValidOnesApplied()
    {
        var cases = new (string Event, string Field)[]
        {
            ("""{"eventId":"valid-0","userId":"validated-user","itemId":"i0-0","type":"click"}""", string.Empty),
            ("""{"itemId":"i0-0","type":"click"}""", "userId"),
            ("""{"userId":"","itemId":"i0-0","type":"click"}""", "userId"),
            ($$"""{"userId":"{{TooLongId}}","itemId":"i0-0","type":"click"}""", "userId"),
            ("""{"userId":42,"itemId":"i0-0","type":"click"}""", "userId"),
            ("""{"userId":null,"itemId":"i0-0","type":"click"}""", "userId"),
            ("""{"userId":"a\u0001b","itemId":"i0-0","type":"click"}""", "userId"),
            ("""{"userId":"validated-user","type":"click"}""", "itemId"),
            ("""{"userId":"validated-user","itemId":"","type":"click"}""", "itemId"),
            ($$"""{"userId":"validated-user","itemId":"{{TooLongId}}","type":"click"}""", "itemId"),
            ("""{"userId":"validated-user","itemId":["i0-0"],"type":"click"}""", "itemId"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"teleport"}""", "type"),
            ("""{"userId":"validated-user","itemId":"i0-0"}""", "type"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":3}""", "type"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"rating"}""", "value"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"rating","value":"5"}""", "value"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","value":1e400}""", "value"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","value":-1e400}""", "value"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","value":2e6}""", "value"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","value":true}""", "value"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","timestamp":"yesterday"}""", "timestamp"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","timestamp":-1}""", "timestamp"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","timestamp":1.5}""", "timestamp"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","timestamp":99999999999999}""", "timestamp"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","timestamp":{}}""", "timestamp"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":"mobile"}""", "context"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":[1]}""", "context"),
            ("{\"userId\":\"validated-user\",\"itemId\":\"i0-0\",\"type\":\"click\",\"context\":{" + string.Join(",", Enumerable.Range(0, 17).Select(n => $"\"k{n}\":\"v\"")) + "}}", "context"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":{"device":{"os":"x"}}}""", "context.device"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":{"device":["x"]}}""", "context.device"),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":{"device":null}}""", "context.device"),
            ($$$"""{"userId":"validated-user","itemId":"i0-0","type":"click","context":{"device":"{{{new string('d', 129)}}}"}}""", "context.device"),
            ("""{"eventId":"","userId":"validated-user","itemId":"i0-0","type":"click"}""", "eventId"),
            ("""{"eventId":7,"userId":"validated-user","itemId":"i0-0","type":"click"}""", "eventId"),
            ("5", WholeEvent),
            ("\"an event\"", WholeEvent),

            // Escapes that are valid JSON syntax but not valid UTF-16 text (a low surrogate before a high one).
            ("""{"userId":"\udfff\ud800","itemId":"i0-0","type":"click"}""", WholeEvent),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"\udfff\ud800"}""", WholeEvent),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","timestamp":"\udfff\ud800"}""", WholeEvent),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":{"device":"\udfff\ud800"}}""", WholeEvent),
            ("""{"userId":"validated-user","itemId":"i0-0","type":"click","context":{"\udfff\ud800":"x"}}""", WholeEvent),
            ("""{"eventId":"valid-1","userId":"validated-user","itemId":"i0-1","type":"rating","value":4.5,"timestamp":"2026-05-01T10:00:00Z","context":{"device":"mobile","hour":10,"weekend":false}}""", string.Empty),
        };

        using var response = await _client.SendAsync(HttpMethod.Post, "api/events", "[" + string.Join(",", cases.Select(c => c.Event)) + "]");
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(cases.Length, answer.GetProperty("received").GetInt32());
        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(["valid-0", "valid-1"], answer.GetProperty("eventIds").EnumerateArray().Select(e => e.GetString()!));
        var errors = answer.GetProperty("errors").EnumerateArray().ToDictionary(e => e.GetProperty("index").GetInt32());
        Assert.Equal(cases.Length - 2, answer.GetProperty("rejected").GetInt32());
        for (var index = 0; index < cases.Length; index++)
        {
            if (cases[index].Field.Length == 0)
            {
                Assert.False(errors.ContainsKey(index), $"event {index} was rejected: {answer}");
                continue;
            }

            var field = cases[index].Field == WholeEvent ? $"[{index}]" : cases[index].Field;
            Assert.True(errors.TryGetValue(index, out var error), $"event {index} ({cases[index].Event}) was not rejected");
            Assert.True(error.GetProperty("field").GetString() == field, $"event {index}: {error}");
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("reason").GetString()), error.ToString());
        }

        await _client.WaitForQueueDrainedAsync();
        Assert.Equal(2, await _client.EventCountAsync("validated-user"));
    }

    public static TheoryData<string, string, string> ScoreRequests => new()
    {
        { "not JSON", "{userId: u0}", "$" },
        { "an empty body", string.Empty, "$" },
        { "an array", "[]", "$" },
        { "null", "null", "$" },
        { "a missing userId", """{"itemIds":["i0-0"]}""", "userId" },
        { "an empty userId", """{"userId":"","itemIds":["i0-0"]}""", "userId" },
        { "a numeric userId", """{"userId":5,"itemIds":["i0-0"]}""", "userId" },
        { "a userId that is not valid UTF-16", """{"userId":"\udfff\ud800","itemIds":["i0-0"]}""", "userId" },
        { "an over-long userId", $$"""{"userId":"{{TooLongId}}","itemIds":["i0-0"]}""", "userId" },
        { "missing itemIds", """{"userId":"u0"}""", "itemIds" },
        { "empty itemIds", """{"userId":"u0","itemIds":[]}""", "itemIds" },
        { "itemIds not a list", """{"userId":"u0","itemIds":"i0-0"}""", "itemIds" },
        { "over 1000 itemIds", "{\"userId\":\"u0\",\"itemIds\":[" + string.Join(",", Enumerable.Range(0, 1001).Select(n => $"\"i{n}\"")) + "]}", "itemIds" },
        { "an empty item id", """{"userId":"u0","itemIds":["i0-0",""]}""", "itemIds[1]" },
        { "a null item id", """{"userId":"u0","itemIds":["i0-0","i0-1",null]}""", "itemIds[2]" },
        { "an over-long item id", $$"""{"userId":"u0","itemIds":["{{TooLongId}}"]}""", "itemIds[0]" },
        { "context not an object", """{"userId":"u0","itemIds":["i0-0"],"context":"mobile"}""", "context" },
        { "a context value that is a number", """{"userId":"u0","itemIds":["i0-0"],"context":{"hour":10}}""", "context.hour" },
        { "too many context entries", "{\"userId\":\"u0\",\"itemIds\":[\"i0-0\"],\"context\":{" + string.Join(",", Enumerable.Range(0, 17).Select(n => $"\"k{n}\":\"v\"")) + "}}", "context" },
    };

    [Theory]
    [MemberData(nameof(ScoreRequests))]
    public async Task InvalidScoreRequestsAreRefusedNamingTheField(string because, string body, string field)
    {
        using var response = await _client.SendAsync(HttpMethod.Post, "api/score", body);

        await ProblemAssert.IsValidationProblemAsync(response, field, because);
    }

    public static TheoryData<string, string> RecommendationQueries => new()
    {
        { "u0?k=ten", "k" },
        { "u0?k=1.5", "k" },
        { "u0?k=0", "k" },
        { "u0?k=-3", "k" },
        { "u0?k=101", "k" },
        { "u0?k=99999999999", "k" },
        { "u0?excludeSeen=maybe", "excludeSeen" },
        { "u0?excludeSeen=1", "excludeSeen" },
        { $"u0?category={new string('c', 257)}", "category" },
        { $"u0?context.{new string('k', 65)}=v", $"context.{new string('k', 65)}" },
        { TooLongId, "userId" },
        { "%20", "userId" },
    };

    [Theory]
    [MemberData(nameof(RecommendationQueries))]
    public async Task InvalidRecommendationRequestsAreRefusedNamingTheField(string pathAndQuery, string field)
    {
        using var response = await _client.GetAsync($"api/recommendations/{pathAndQuery}");

        await ProblemAssert.IsValidationProblemAsync(response, field, pathAndQuery);
    }

    public static TheoryData<string, string, string, string> ProfileRequests()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var kind in new[] { "users", "items" })
        {
            data.Add(kind, "profiled", "{}", "features");
            data.Add(kind, "profiled", """{"features":null}""", "features");
            data.Add(kind, "profiled", """{"features":"red"}""", "features");
            data.Add(kind, "profiled", """{"features":{"colour":{"r":1}}}""", "features.colour");
            data.Add(kind, "profiled", """{"features":{"tags":["a",{"b":1}]}}""", "features.tags");
            data.Add(kind, "profiled", """{"features":{"tags":["a",true]}}""", "features.tags");
            data.Add(kind, "profiled", """{"features":{"size":1e400}}""", "features.size");
            data.Add(kind, "profiled", """{"features":{"segment":"\udfff\ud800"}}""", "features.segment");
            data.Add(kind, "profiled", "{\"features\":{\"tags\":[" + string.Join(",", Enumerable.Range(0, 257).Select(n => $"\"t{n}\"")) + "]}}", "features.tags");
            data.Add(kind, "profiled", "{\"features\":{" + string.Join(",", Enumerable.Range(0, 65).Select(n => $"\"f{n}\":1")) + "}}", "features");
            data.Add(kind, "profiled", "not JSON", "$");
            data.Add(kind, "profiled", string.Empty, "$");
            data.Add(kind, TooLongId, """{"features":{"segment":"s0"}}""", "id");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ProfileRequests))]
    public async Task InvalidProfilesAreRefusedNamingTheField(string kind, string id, string body, string field)
    {
        using var response = await _client.SendAsync(HttpMethod.Put, $"api/{kind}/{id}", body);

        await ProblemAssert.IsValidationProblemAsync(response, field, $"PUT {kind} {body[..Math.Min(body.Length, 60)]}");
    }

    public static TheoryData<string, string, string> UnknownThings => new()
    {
        { "POST", "api/models/v-that-was-never-published/activate", "version" },
        { "POST", "api/models/not.a.version/activate", "version" },
        { "POST", "api/models/back%5Cslash/activate", "version" },
        { "GET", "api/explain/u0/no-such-item", "itemId" },
        { "DELETE", "api/users/no-such-user", "id" },
        { "GET", "api/users/no-such-user", "id" },
        { "GET", "api/items/no-such-item", "id" },
    };

    [Theory]
    [MemberData(nameof(UnknownThings))]
    public async Task UnknownThingsAnswer404WithProblemDetails(string method, string path, string field)
    {
        using var response = await _client.SendAsync(new HttpMethod(method), path, (byte[]?)null);

        await ProblemAssert.IsNotFoundAsync(response, field, $"{method} {path}");
    }
}
