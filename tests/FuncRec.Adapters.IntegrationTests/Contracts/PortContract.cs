using FuncRec.Adapters.IntegrationTests.Harness;

namespace FuncRec.Adapters.IntegrationTests.Contracts;

/// <summary>
/// Base of the contract suites: each test gets a fresh <see cref="AdapterHarness"/> from the concrete class (embedded
/// or Azure) and a cancellation token that ends a hung test instead of the whole run.
/// </summary>
public abstract class PortContract : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private AdapterHarness? _harness;

    protected AdapterHarness Harness => _harness ?? throw new InvalidOperationException("The harness is created in InitializeAsync.");

    protected CancellationToken Cancellation => _timeout.Token;

    public Task InitializeAsync()
    {
        _harness = CreateHarness();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }

        _timeout.Dispose();
    }

    protected abstract AdapterHarness CreateHarness();
}
