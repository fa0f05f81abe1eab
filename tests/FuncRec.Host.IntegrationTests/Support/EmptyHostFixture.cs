namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>An in-process host over a fresh data directory: a new deployment with no model yet.</summary>
public sealed class EmptyHostFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new("empty");

    public InProcessHost Host { get; private set; } = null!;

    public HttpClient Client => Host.Client;

    public async Task InitializeAsync() => Host = await InProcessHost.StartAsync(_directory.Path, HostSettings.Fast());

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _directory.Dispose();
    }
}
