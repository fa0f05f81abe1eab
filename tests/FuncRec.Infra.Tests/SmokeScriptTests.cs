using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

public sealed class SmokeScriptTests
{
    private static readonly string Script = RepositoryRoot.Combine("scripts", "smoke.sh");

    [Fact]
    public async Task Smoke_script_has_valid_bash_syntax()
    {
        var check = await ProcessRunner.RunAsync("bash", ["-n", Script], TimeSpan.FromSeconds(10));

        Assert.True(check.ExitCode == 0, check.Describe());
    }

    [Fact]
    public void Smoke_script_is_strict_executable_and_follows_the_http_contract()
    {
        var text = File.ReadAllText(Script);

        Assert.StartsWith("#!/usr/bin/env bash\n", text, StringComparison.Ordinal);
        Assert.Contains("\nset -euo pipefail\n", text, StringComparison.Ordinal);
        Assert.Contains("x-functions-key", text, StringComparison.Ordinal);
        Assert.Contains("expect POST /api/events 202", text, StringComparison.Ordinal);
        Assert.Contains("expect GET \"/api/recommendations/$user_id?k=5\" 200", text, StringComparison.Ordinal);
        Assert.Contains("expect POST /api/score 200", text, StringComparison.Ordinal);
        Assert.Contains("expect GET /api/health 200", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            Assert.True((File.GetUnixFileMode(Script) & UnixFileMode.UserExecute) != 0, "scripts/smoke.sh is not executable");
        }
    }

    [Fact]
    public async Task Smoke_script_passes_against_an_api_that_follows_the_contract_and_sends_the_key()
    {
        await using var api = new FakeFuncRecApi(requiredKey: "test-key-123");

        var run = await RunSmokeAsync(api.BaseUrl + "/", "--key", "test-key-123");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("smoke: all checks passed", run.StandardOutput);
        Assert.DoesNotContain("test-key-123", run.StandardOutput + run.StandardError);
        var requests = api.Requests.ToList();
        Assert.All(requests, r => Assert.Equal("test-key-123", r.FunctionKey));
        Assert.Equal(
            ["GET /api/health", "POST /api/events", "GET /api/recommendations", "POST /api/score"],
            requests.Select(r => $"{r.Method} {string.Join('/', r.PathAndQuery.Split('?')[0].Split('/').Take(3))}"));

        var events = Assert.IsType<JsonArray>(JsonNode.Parse(requests[1].Body));
        Assert.NotEmpty(events);
        var user = (string?)events[0]!["userId"];
        Assert.All(events, e =>
        {
            Assert.Equal(user, (string?)e!["userId"]);
            Assert.False(string.IsNullOrEmpty((string?)e["itemId"]));
            Assert.False(string.IsNullOrEmpty((string?)e["type"]));
        });
        Assert.Equal($"/api/recommendations/{user}?k=5", requests[2].PathAndQuery);
        var score = Assert.IsType<JsonObject>(JsonNode.Parse(requests[3].Body));
        Assert.Equal(user, (string?)score["userId"]);
        Assert.NotEmpty(Assert.IsType<JsonArray>(score["itemIds"]));
    }

    [Fact]
    public async Task Smoke_script_reads_url_and_key_from_the_environment()
    {
        await using var api = new FakeFuncRecApi(requiredKey: "env-key");

        var run = await RunSmokeAsync(environment: new() { ["FUNCREC_BASE_URL"] = api.BaseUrl, ["FUNCREC_FUNCTION_KEY"] = "env-key" });

        Assert.True(run.ExitCode == 0, run.Describe());
    }

    [Fact]
    public async Task Smoke_script_fails_when_an_endpoint_answers_the_wrong_status()
    {
        await using var api = new FakeFuncRecApi(respond: r => r.PathAndQuery == "/api/events" ? (500, """{"error":"boom"}""") : null);

        var run = await RunSmokeAsync(api.BaseUrl);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("POST /api/events answered 500, expected 202", run.StandardError);
    }

    [Fact]
    public async Task Smoke_script_fails_when_a_body_is_not_json()
    {
        await using var api = new FakeFuncRecApi(respond: r => r.PathAndQuery == "/api/score" ? (200, "<html>") : null);

        var run = await RunSmokeAsync(api.BaseUrl);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("POST /api/score answered 200 but the body is not JSON", run.StandardError);
    }

    [Fact]
    public async Task Smoke_script_says_a_key_is_missing_when_the_api_answers_401()
    {
        await using var api = new FakeFuncRecApi(requiredKey: "secret");

        var run = await RunSmokeAsync(api.BaseUrl);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no function key given", run.StandardError);
    }

    [Fact]
    public async Task Smoke_script_waits_for_an_app_that_is_still_starting()
    {
        var health = 0;
        await using var api = new FakeFuncRecApi(respond: r =>
            r.PathAndQuery == "/api/health" && Interlocked.Increment(ref health) == 1 ? (503, "") : null);

        var run = await RunSmokeAsync(api.BaseUrl, "--wait", "30");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("smoke: waiting for GET /api/health to answer 200 (last answer: 503)", run.StandardOutput);
    }

    [Fact]
    public async Task Smoke_script_fails_clearly_when_nothing_listens()
    {
        var run = await RunSmokeAsync("http://127.0.0.1:9", "--timeout", "5");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("GET /api/health answered 000, expected 200; no HTTP answer", run.StandardError);
    }

    [Fact]
    public async Task Smoke_script_rejects_a_missing_url_as_a_usage_error()
    {
        var run = await RunSmokeAsync();

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("usage:", run.StandardError);
    }

    private static Task<ProcessResult> RunSmokeAsync(params string[] arguments) => RunSmokeAsync(null, arguments);

    private static Task<ProcessResult> RunSmokeAsync(Dictionary<string, string?>? environment, params string[] arguments)
    {
        var env = new Dictionary<string, string?>
        {
            // The caller's own settings must not leak into the run.
            ["FUNCREC_BASE_URL"] = null,
            ["FUNCREC_FUNCTION_KEY"] = null,
            ["FUNCREC_SMOKE_WAIT"] = null,
            ["FUNCREC_SMOKE_TIMEOUT"] = null,
        };
        foreach (var (name, value) in environment ?? [])
        {
            env[name] = value;
        }

        return ProcessRunner.RunAsync("bash", [Script, .. arguments], TimeSpan.FromSeconds(60), env);
    }
}
