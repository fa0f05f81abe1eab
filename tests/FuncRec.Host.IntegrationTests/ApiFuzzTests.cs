using System.Net;
using System.Text;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// Bad input never answers 5xx: seeded random bodies (raw bytes, deep nesting, huge numbers, wrong types in the
/// API's own field names, broken strings) sent to every route that reads input; each 400 is ProblemDetails.
/// </summary>
[Collection(TrainedHostCollection.Name)]
public sealed class ApiFuzzTests(TrainedHostFixture fixture)
{
    private const int BodiesPerRoute = 60;
    private static readonly string[] Fields = ["eventId", "userId", "itemId", "type", "value", "timestamp", "context", "itemIds", "features", "category", "segment", "tags"];
    private static readonly string[] HugeNumbers = ["1e309", "-1e400", "1e-400", "123456789012345678901234567890123456789", "-0", "9223372036854775808", "1.7976931348623157e308", "4.9e-324"];

    [Fact]
    public async Task FuzzedRequestsNeverAnswerAServerError()
    {
        var random = new Random(20261127);
        var failures = new List<string>();
        var routes = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "api/events"),
            (HttpMethod.Post, "api/score"),
            (HttpMethod.Put, "api/users/fuzzed-user"),
            (HttpMethod.Put, "api/items/fuzzed-item"),
        };
        foreach (var (method, path) in routes)
        {
            for (var n = 0; n < BodiesPerRoute; n++)
            {
                var body = Body(random, n);
                using var response = await fixture.Client.SendAsync(method, path, body);
                await CheckAsync(response, $"{method} {path} with {Describe(body)}", failures);
            }
        }

        for (var n = 0; n < BodiesPerRoute; n++)
        {
            var path = $"api/recommendations/{Segment(random, 40)}?k={Uri.EscapeDataString(RandomText(random, random.Next(12)))}&excludeSeen={Uri.EscapeDataString(RandomText(random, random.Next(6)))}&category={Uri.EscapeDataString(RandomText(random, random.Next(300)))}";
            using var recommendations = await fixture.Client.GetAsync(path);
            await CheckAsync(recommendations, $"GET {path}", failures);

            var explain = $"api/explain/{Segment(random, 20)}/{Segment(random, 140)}";
            using var explanation = await fixture.Client.GetAsync(explain);
            await CheckAsync(explanation, $"GET {explain}", failures);

            var activate = $"api/models/{Segment(random, 140)}/activate";
            using var activation = await fixture.Client.PostAsync(activate, null);
            await CheckAsync(activation, $"POST {activate}", failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} fuzzed requests failed:\n{string.Join("\n", failures.Take(20))}");
    }

    private static async Task CheckAsync(HttpResponseMessage response, string request, List<string> failures)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            failures.Add($"{status} for {request}: {Truncate(await response.Content.ReadAsStringAsync(), 200)}");
        }
        else if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{status} without ProblemDetails for {request}");
        }
    }

    private static byte[] Body(Random random, int n) => (n % 6) switch
    {
        0 => RandomBytes(random),
        1 => Encoding.UTF8.GetBytes(Nested(random)),
        2 => Encoding.UTF8.GetBytes(RandomJson(random, depth: 0)),
        3 => Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, 1 + random.Next(5)).Select(_ => RandomObject(random, 1))) + "]"),
        4 => Encoding.UTF8.GetBytes(WithHugeNumbers(random)),
        _ => Encoding.UTF8.GetBytes(BrokenStrings(random)),
    };

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 2000)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Nested(Random random)
    {
        var depth = new[] { 63, 64, 65, 200, 5000, 20000 }[random.Next(6)];
        return random.Next(2) == 0
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"features\":", depth)) + "1" + new string('}', depth);
    }

    private static string WithHugeNumbers(Random random)
    {
        string Huge() => HugeNumbers[random.Next(HugeNumbers.Length)];
        return random.Next(4) switch
        {
            0 => $$$"""[{"userId":"fz","itemId":"fz","type":"rating","value":{{{Huge()}}},"timestamp":{{{Huge()}}}}]""",
            1 => $$$"""{"userId":"fz","itemIds":["i0-0"],"context":{"n":{{{Huge()}}}}}""",
            2 => $$$"""{"features":{"age":{{{Huge()}}},"tags":[{{{Huge()}}},"x"]}}""",
            _ => Huge(),
        };
    }

    private static string BrokenStrings(Random random)
    {
        var text = new[] { "\\ud800", "\\udfff\\ud800", "\\u0000", "\\x41", "\\", new string('a', 70_000), "\\uZZZZ" }[random.Next(7)];
        var field = Fields[random.Next(Fields.Length)];
        return random.Next(2) == 0
            ? $$$"""[{"{{{field}}}":"{{{text}}}","userId":"u","itemId":"i","type":"click"}]"""
            : $$$"""{"userId":"{{{text}}}","itemIds":["{{{text}}}"],"features":{"{{{field}}}":"{{{text}}}"}}""";
    }

    /// <summary>A JSON value of a random type; objects use the API's own field names, so types clash where it matters.</summary>
    private static string RandomJson(Random random, int depth) => random.Next(depth > 3 ? 5 : 8) switch
    {
        0 => "null",
        1 => random.Next(2) == 0 ? "true" : "false",
        2 => HugeNumbers[random.Next(HugeNumbers.Length)],
        3 => random.Next(-5, 2000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        4 => "\"" + RandomText(random, random.Next(20)).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        5 or 6 => RandomObject(random, depth + 1),
        _ => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth + 1))) + "]",
    };

    private static string RandomObject(Random random, int depth)
        => "{" + string.Join(",", Enumerable.Range(0, random.Next(1, 6)).Select(_ => $"\"{Fields[random.Next(Fields.Length)]}\":{RandomJson(random, depth)}")) + "}";

    /// <summary>Printable text with the characters that trouble ids and URLs: slashes, dots, percent, controls, non-ASCII.</summary>
    private static string RandomText(Random random, int length)
    {
        const string alphabet = "abcXYZ019-_./\\%?#&=+ :;\"'{}[]\u0001\u007f\u00e9\u4e2d\U0001F600";
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>A random path segment; never "." or "..", which URL normalisation would turn into another route.</summary>
    private static string Segment(Random random, int maxLength) => "s" + Uri.EscapeDataString(RandomText(random, random.Next(maxLength)));

    private static string Describe(byte[] body) => $"{body.Length} bytes: {Truncate(Encoding.UTF8.GetString(body), 120)}";

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
