using System.Text.Json;
using FuncRec.Http;

namespace FuncRec.Functions.Tests;

/// <summary>
/// What the Functions host would load: the functions.metadata the build writes, checked function by function
/// (trigger, route, methods, auth level, queue name and schedule settings), and host.json beside it.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Metadata = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata is missing from {AppContext.BaseDirectory}: build src/FuncRec.Functions (the Functions SDK writes it).");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().ToArray();
    });

    public static TheoryData<string, string, string, string> HttpFunctions => new()
    {
        { "PostEvents", "post", ApiRoutes.Events, "Function" },
        { "Score", "post", ApiRoutes.Score, "Function" },
        { "Recommendations", "get", ApiRoutes.Recommendations, "Function" },
        { "Explain", "get", ApiRoutes.Explain, "Function" },
        { "GetUser", "get", ApiRoutes.User, "Function" },
        { "PutUser", "put", ApiRoutes.User, "Function" },
        { "DeleteUser", "delete", ApiRoutes.User, "Function" },
        { "GetItem", "get", ApiRoutes.Item, "Function" },
        { "PutItem", "put", ApiRoutes.Item, "Function" },
        { "ListModels", "get", ApiRoutes.Models, "Admin" },
        { "CurrentModel", "get", ApiRoutes.CurrentModel, "Admin" },
        { "ActivateModel", "post", ApiRoutes.ActivateModel, "Admin" },
        { "FineTuneNow", "post", ApiRoutes.FineTune, "Admin" },
        { "Health", "get", ApiRoutes.Health, "Anonymous" },
        { "OpenApi", "get", ApiRoutes.OpenApi, "Anonymous" },
    };

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void Each_http_function_has_its_route_method_and_auth_level(string name, string method, string route, string authLevel)
    {
        var trigger = Trigger(name, "httpTrigger");
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void Every_api_route_is_served_by_exactly_one_function()
    {
        var served = Metadata.Value.SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
            .Select(b => (b.GetProperty("methods")[0].GetString()!.ToUpperInvariant(), b.GetProperty("route").GetString()!))
            .ToList();
        Assert.Equal(ApiRoutes.All.OrderBy(r => r.Route).ThenBy(r => r.Method), served.OrderBy(r => r.Item2).ThenBy(r => r.Item1));
    }

    [Fact]
    public void The_queue_function_reads_its_queue_name_from_a_setting()
    {
        var trigger = Trigger("ApplyEventBatch", "queueTrigger");
        Assert.Equal("%FuncRecEventQueue%", trigger.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
    }

    [Fact]
    public void The_timer_function_reads_its_schedule_from_a_setting()
    {
        var trigger = Trigger("FineTuneSchedule", "timerTrigger");
        Assert.Equal("%FuncRecFineTuneSchedule%", trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void The_app_has_no_other_functions()
        => Assert.Equal(HttpFunctions.Count() + 2, Metadata.Value.Length);

    [Fact]
    public void Host_json_is_copied_beside_the_app_and_sets_the_queue_trigger()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "host.json");
        Assert.True(File.Exists(path), "host.json must be copied to the output (the Functions host reads it from there)");
        var queues = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString());
        Assert.True(queues.GetProperty("batchSize").GetInt32() > 0);
        Assert.True(queues.GetProperty("maxDequeueCount").GetInt32() > 1);
        Assert.True(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > TimeSpan.Zero);
        Assert.True(TimeSpan.Parse(queues.GetProperty("maxPollingInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= TimeSpan.FromSeconds(2));
    }

    private static JsonElement Trigger(string function, string type)
    {
        var entry = Metadata.Value.SingleOrDefault(f => f.GetProperty("name").GetString() == function);
        Assert.True(entry.ValueKind == JsonValueKind.Object, $"function {function} is not in functions.metadata");
        return entry.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == type && b.GetProperty("direction").GetString() == "In");
    }
}
