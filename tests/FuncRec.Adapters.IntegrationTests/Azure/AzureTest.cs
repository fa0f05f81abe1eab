using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>Base of the Azure-only tests: a fresh <see cref="AzureHarness"/> per test (own containers, queues, database).</summary>
public abstract class AzureTest(EmulatorFixture emulators) : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly List<AzureHarness> _harnesses = [];

    protected EmulatorFixture Emulators { get; } = emulators;

    protected CancellationToken Cancellation => _timeout.Token;

    protected AzureHarness Harness => _harnesses.Count > 0 ? _harnesses[0] : NewHarness();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var harness in _harnesses)
        {
            await harness.DisposeAsync();
        }

        _timeout.Dispose();
    }

    /// <summary>Another set of adapters (settings adjusted, or another clock); disposed with the test.</summary>
    protected AzureHarness NewHarness(Action<Dictionary<string, string?>>? adjustSettings = null, TimeProvider? clock = null)
    {
        var harness = new AzureHarness(Emulators, adjustSettings, clock);
        _harnesses.Add(harness);
        return harness;
    }
}
