using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// <c>funcrec serve</c> runs with the collector settings its project writes into funcrec.runtimeconfig.json: the
/// server collector, and its first generation's budget at most 64 MB per heap, which is what bounds its pauses, and
/// so the freshness tail, under ingest load (docs/benchmarks.md). The serving line says so, from what the runtime
/// applied. Variables that would override those settings are kept out of the child's environment.
/// </summary>
public sealed class ServeCollectorTests
{
    private static readonly string[] Overrides =
    [
        "DOTNET_gcServer", "COMPlus_gcServer", "DOTNET_GCgen0MaxBudget", "COMPlus_GCgen0MaxBudget",
        "DOTNET_GCGen0MaxBudget", "COMPlus_GCGen0MaxBudget", "DOTNET_GCgen0size", "COMPlus_GCgen0size",
    ];

    [Fact]
    public async Task ServeRunsWithTheFirstGenerationBudgetItsRuntimeConfigSets()
    {
        using var directory = new TemporaryDirectory("collector");
        await using var serve = await ServeProcess.StartAsync(directory.Path, HostSettings.AsEnvironment(HostSettings.Fast()), Overrides);

        Assert.Contains("first-generation budget up to 64 MB per heap", serve.Output);

        // On one processor the runtime runs the workstation collector whatever the configuration asks.
        if (Environment.ProcessorCount > 1)
        {
            Assert.Contains("server collector, first-generation budget", serve.Output);
        }
    }
}
