using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// <c>funcrec serve</c> runs with the collector settings its project sets in funcrec.runtimeconfig.json: the server
/// collector with its first generation capped at 64 MB per heap, which is what bounds its pauses, and so the
/// freshness tail, under ingest load (docs/benchmarks.md). The serving line says so, from what the runtime applied.
/// </summary>
public sealed class ServeCollectorTests
{
    [Fact]
    public async Task ServeRunsTheServerCollectorWithItsFirstGenerationCapped()
    {
        using var directory = new TemporaryDirectory("collector");
        await using var serve = await ServeProcess.StartAsync(directory.Path, HostSettings.AsEnvironment(HostSettings.Fast()));

        Assert.Contains("server collector, first generation capped at 64 MB per heap", serve.Output);
    }
}
