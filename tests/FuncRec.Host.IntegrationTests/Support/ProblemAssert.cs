using System.Net;
using System.Text.Json;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>Checks that an answer is ProblemDetails (RFC 9457) with the expected status and field.</summary>
public static class ProblemAssert
{
    /// <summary>400, <c>application/problem+json</c>, an <c>errors</c> object naming <paramref name="field"/>, and the <c>field</c> extension.</summary>
    public static async Task<JsonElement> IsValidationProblemAsync(HttpResponseMessage response, string field, string because)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.BadRequest, because);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object, $"{because}: no errors object in {problem}");
        Assert.True(errors.TryGetProperty(field, out var messages) && messages.GetArrayLength() > 0, $"{because}: errors do not name '{field}': {problem}");
        Assert.True(problem.GetProperty("field").GetString() == field, $"{because}: field is not '{field}': {problem}");
        return problem;
    }

    public static async Task<JsonElement> IsNotFoundAsync(HttpResponseMessage response, string field, string because)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.NotFound, because);
        Assert.True(problem.GetProperty("field").GetString() == field, $"{because}: field is not '{field}': {problem}");
        return problem;
    }

    private static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string because)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{because}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{because}: content type {response.Content.Headers.ContentType}: {text}");
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), because);
        return problem;
    }
}
