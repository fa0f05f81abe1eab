using System.Text.Json;
using FuncRec.Application.Services;
using FuncRec.Host.IntegrationTests.Support;
using FuncRec.Http;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// The hot routes write their answers through <see cref="Utf8JsonAnswer{T}"/> with the source-generated context's
/// type information, the others through the API's options: a client must not be able to tell the two apart.
/// </summary>
public sealed class JsonAnswerTests(EmptyHostFixture fixture) : IClassFixture<EmptyHostFixture>
{
    private static readonly RecommendationResult Recommendation = new(
        "user \"é\" <1>", null, "cold-start",
        [new ScoredItemResult("i1", 0.1), new ScoredItemResult("ü&'2", -3.5e-7), new ScoredItemResult("i3", 12345.678901234567)]);

    [Fact]
    public void TheGeneratedWriterWritesTheBytesTheApiOptionsWrite()
    {
        Assert.Equal(
            JsonSerializer.SerializeToUtf8Bytes(Recommendation, ApiJson.Options),
            JsonSerializer.SerializeToUtf8Bytes(Recommendation, ApiJsonContext.Default.RecommendationResult));

        var score = new ScoreResult("u1", "v20261128-000000-abc", [new ScoredItemResult("i1", 4.25)], ["missing", "\u2028"]);
        Assert.Equal(
            JsonSerializer.SerializeToUtf8Bytes(score, ApiJson.Options),
            JsonSerializer.SerializeToUtf8Bytes(score, ApiJsonContext.Default.ScoreResult));

        var ingest = new IngestResponse(3, 2, 1, ["e1", "e2"], [new RejectedEventResponse(2, "events[2].userId", "userId is required")], 2);
        Assert.Equal(
            JsonSerializer.SerializeToUtf8Bytes(ingest, ApiJson.Options),
            JsonSerializer.SerializeToUtf8Bytes(ingest, ApiJsonContext.Default.IngestResponse));
    }

    [Fact]
    public void TheHotAnswersHaveAGeneratedStraightLineWriter()
    {
        // Without it the serialiser falls back to the generic path this answer type exists to avoid.
        Assert.NotNull(ApiJsonContext.Default.RecommendationResult.SerializeHandler);
        Assert.NotNull(ApiJsonContext.Default.ScoreResult.SerializeHandler);
        Assert.NotNull(ApiJsonContext.Default.IngestResponse.SerializeHandler);
    }

    [Fact]
    public async Task ARecommendationAnswerCarriesItsLengthAndTheJsonMediaType()
    {
        using var response = await fixture.Client.GetAsync("api/recommendations/json-answer-user?k=3");
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        // The per-thread writer's bytes are what the API's options write for the same answer.
        var answer = JsonSerializer.Deserialize<RecommendationResult>(body, ApiJson.Options)!;
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(answer, ApiJson.Options), body);
        using var document = JsonDocument.Parse(body);
        Assert.Equal("json-answer-user", document.RootElement.GetProperty("userId").GetString());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("modelVersion").ValueKind);
    }
}
