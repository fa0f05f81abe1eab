using System.Globalization;
using System.Text.Json;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Http;

/// <summary>
/// The HTTP API as handlers from a request to a result, shared by the local host (minimal API routes) and the
/// Functions app (one thin function per route). Handlers validate first; bad input answers 400 with
/// ProblemDetails naming the field, unknown things 404, an unavailable dependency 503; nothing is half-applied.
/// </summary>
public sealed class FuncRecApi(
    EventIngestionService ingestion,
    RecommendationService recommendations,
    ProfileService profiles,
    ModelService models,
    FineTuneService fineTune,
    ModelHost host,
    OnlineLearningService online,
    IEventQueue queue,
    IOptions<FuncRecOptions> options,
    ILogger<FuncRecApi> logger)
{
    public const string ContextQueryPrefix = "context.";
    private readonly FuncRecOptions _options = options.Value;

    public Task<IResult> PostEventsAsync(HttpRequest request) => Guard(request, async cancellationToken =>
    {
        var body = await ReadBodyAsync(request, _options.Ingest.MaxRequestBytes, cancellationToken);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException exception)
        {
            throw new ValidationError("$", $"the body is not JSON: {exception.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ValidationError("$", "the body must be a JSON array of events");
            }

            var result = await ingestion.IngestAsync(document.RootElement, cancellationToken);
            var response = new IngestResponse(
                result.Received,
                result.Accepted,
                result.Rejected.Count,
                result.AcceptedEventIds,
                result.Rejected.Select(r => new RejectedEventResponse(r.Index, r.Field, r.Reason)).ToArray(),
                result.Applied);
            return new Utf8JsonAnswer<IngestResponse>(response, ApiJsonContext.Default.IngestResponse, StatusCodes.Status202Accepted);
        }
    });

    public Task<IResult> PostScoreAsync(HttpRequest request) => Guard(request, async cancellationToken =>
    {
        var score = await ReadJsonAsync<ScoreRequest>(request, cancellationToken);
        var userId = RequireId(score.UserId, "userId");
        if (score.ItemIds is null || score.ItemIds.Count == 0)
        {
            throw new ValidationError("itemIds", "itemIds must be a non-empty list of item ids");
        }

        if (score.ItemIds.Count > _options.Serving.MaxCandidates)
        {
            throw new ValidationError("itemIds", $"at most {_options.Serving.MaxCandidates} items can be scored at once");
        }

        for (var i = 0; i < score.ItemIds.Count; i++)
        {
            RequireId(score.ItemIds[i], $"itemIds[{i}]");
        }

        CheckContext(score.Context, "context");
        var result = await recommendations.ScoreAsync(userId, score.ItemIds, score.Context, cancellationToken);
        return new Utf8JsonAnswer<ScoreResult>(result, ApiJsonContext.Default.ScoreResult);
    });

    public Task<IResult> GetRecommendationsAsync(HttpRequest request, string userId) => Guard(request, async cancellationToken =>
    {
        RequireId(userId, "userId");
        var k = ParseInt(request.Query["k"], "k", 10);
        var excludeSeen = ParseBool(request.Query["excludeSeen"], "excludeSeen", true);
        string? category = request.Query["category"];
        if (category is { Length: > 256 })
        {
            throw new ValidationError("category", "category must be at most 256 characters");
        }

        var context = ContextFromQuery(request.Query);
        var result = await recommendations.RecommendAsync(userId, k, excludeSeen, string.IsNullOrEmpty(category) ? null : category, context, cancellationToken);
        return new Utf8JsonAnswer<RecommendationResult>(result, ApiJsonContext.Default.RecommendationResult);
    });

    public Task<IResult> GetExplanationAsync(HttpRequest request, string userId, string itemId) => Guard(request, async cancellationToken =>
    {
        RequireId(userId, "userId");
        RequireId(itemId, "itemId");
        return Results.Json(await recommendations.ExplainAsync(userId, itemId, cancellationToken), ApiJson.Options);
    });

    public Task<IResult> GetUserAsync(HttpRequest request, string id) => Guard(request, async cancellationToken =>
    {
        var user = await profiles.GetUserAsync(RequireId(id, "id"), cancellationToken) ?? throw new NotFoundError("id", $"user '{id}' does not exist");
        return Results.Json(new { user.Id, user.Features, user.EventCount, user.UpdatedAt, recent = user.Recent.Select(r => new { r.ItemId, r.Type, r.AppliedAt }) }, ApiJson.Options);
    });

    public Task<IResult> PutUserAsync(HttpRequest request, string id) => Guard(request, async cancellationToken =>
    {
        var body = await ReadJsonAsync<FeaturesRequest>(request, cancellationToken);
        var user = await profiles.PutUserAsync(RequireId(id, "id"), body.Features ?? throw new ValidationError("features", "features is required"), cancellationToken);
        return Results.Json(new { user.Id, user.Features, user.UpdatedAt }, ApiJson.Options);
    });

    public Task<IResult> DeleteUserAsync(HttpRequest request, string id) => Guard(request, async cancellationToken =>
        await profiles.DeleteUserAsync(RequireId(id, "id"), cancellationToken)
            ? Results.NoContent()
            : throw new NotFoundError("id", $"user '{id}' does not exist"));

    public Task<IResult> GetItemAsync(HttpRequest request, string id) => Guard(request, async cancellationToken =>
    {
        var item = await profiles.GetItemAsync(RequireId(id, "id"), cancellationToken) ?? throw new NotFoundError("id", $"item '{id}' does not exist");
        return Results.Json(item, ApiJson.Options);
    });

    public Task<IResult> PutItemAsync(HttpRequest request, string id) => Guard(request, async cancellationToken =>
    {
        var body = await ReadJsonAsync<FeaturesRequest>(request, cancellationToken);
        var item = await profiles.PutItemAsync(RequireId(id, "id"), body.Features ?? throw new ValidationError("features", "features is required"), cancellationToken);
        return Results.Json(item, ApiJson.Options);
    });

    public Task<IResult> GetModelsAsync(HttpRequest request) => Guard(request, async cancellationToken =>
        Results.Json(await models.ListAsync(cancellationToken), ApiJson.Options));

    public Task<IResult> GetCurrentModelAsync(HttpRequest request) => Guard(request, async cancellationToken =>
        Results.Json(await models.CurrentAsync(cancellationToken), ApiJson.Options));

    public Task<IResult> ActivateModelAsync(HttpRequest request, string version) => Guard(request, async cancellationToken =>
    {
        RequireId(version, "version");
        return Results.Json(await models.ActivateAsync(version, cancellationToken), ApiJson.Options);
    });

    public Task<IResult> FineTuneAsync(HttpRequest request) => Guard(request, async cancellationToken =>
        Results.Json(await fineTune.RunAsync("on demand", force: true, cancellationToken), ApiJson.Options));

    public Task<IResult> HealthAsync(HttpRequest request) => Guard(request, async cancellationToken =>
    {
        var depth = await queue.CountAsync(cancellationToken);
        var end = await models.LogEndAsync(cancellationToken);
        return Results.Json(new HealthResponse("healthy", host.Current?.Version, host.LastRefresh, depth, end, online.Observed, online.Grid.BestRate), ApiJson.Options);
    });

    public IResult OpenApiDocument() => Results.Text(OpenApi.Document, "application/json");

    private async Task<IResult> Guard(HttpRequest request, Func<CancellationToken, Task<IResult>> handler)
    {
        try
        {
            return await handler(request.HttpContext.RequestAborted);
        }
        catch (ValidationError error)
        {
            return Results.ValidationProblem(
                new Dictionary<string, string[]> { [error.Field] = [error.Message] },
                detail: error.Message,
                title: "The request is not valid.",
                extensions: new Dictionary<string, object?> { ["field"] = error.Field });
        }
        catch (NotFoundError error)
        {
            return Results.Problem(error.Message, statusCode: StatusCodes.Status404NotFound, title: "Not found.", extensions: new Dictionary<string, object?> { ["field"] = error.Field });
        }
        catch (UnavailableError error)
        {
            logger.LogWarning(error, "A dependency was unavailable");
            return Results.Problem(error.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable.");
        }
        catch (OperationCanceledException) when (request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return Results.StatusCode(499);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new ValidationError("$", $"the body is larger than the limit of {maxBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new ValidationError("$", $"the body is larger than the limit of {maxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new ValidationError("$", "the body is empty");
        }

        return buffer.ToArray();
    }

    private async Task<T> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        var body = await ReadBodyAsync(request, _options.Ingest.MaxRequestBytes, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize<T>(body, ApiJson.Options) ?? throw new ValidationError("$", "the body must be a JSON object");
        }
        catch (JsonException exception)
        {
            var path = string.IsNullOrEmpty(exception.Path) ? "$" : exception.Path.TrimStart('$', '.');
            throw new ValidationError(path.Length == 0 ? "$" : path, $"invalid JSON at '{exception.Path ?? "$"}': {exception.Message}");
        }
    }

    private string RequireId(string? id, string field)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ValidationError(field, $"{field} must be a non-empty string");
        }

        if (id.Length > _options.Ingest.MaxIdLength)
        {
            throw new ValidationError(field, $"{field} must be at most {_options.Ingest.MaxIdLength} characters");
        }

        if (id.Any(char.IsControl))
        {
            throw new ValidationError(field, $"{field} must not contain control characters");
        }

        return id;
    }

    private void CheckContext(Dictionary<string, string>? context, string field)
    {
        if (context is null)
        {
            return;
        }

        if (context.Count > _options.Ingest.MaxContextEntries)
        {
            throw new ValidationError(field, $"{field} may hold at most {_options.Ingest.MaxContextEntries} entries");
        }

        foreach (var (key, value) in context)
        {
            if (key.Length is 0 or > 64 || value is null || value.Length > 128)
            {
                throw new ValidationError($"{field}.{key}", "context keys are 1 to 64 characters, values up to 128");
            }
        }
    }

    private Dictionary<string, string>? ContextFromQuery(IQueryCollection query)
    {
        Dictionary<string, string>? context = null;
        foreach (var (key, value) in query)
        {
            if (key.StartsWith(ContextQueryPrefix, StringComparison.Ordinal))
            {
                (context ??= new Dictionary<string, string>(StringComparer.Ordinal))[key[ContextQueryPrefix.Length..]] = value.ToString();
            }
        }

        CheckContext(context, "context");
        return context;
    }

    private static int ParseInt(string? text, string field, int fallback)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationError(field, $"{field} must be an integer");
    }

    private static bool ParseBool(string? text, string field, bool fallback)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return bool.TryParse(text, out var value) ? value : throw new ValidationError(field, $"{field} must be true or false");
    }
}
