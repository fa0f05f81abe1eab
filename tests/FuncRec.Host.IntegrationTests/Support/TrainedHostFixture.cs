namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// One in-process host with the test catalog, a history of clicks and a first model trained from it through
/// <c>POST /api/models/fine-tune</c>. Shared by the classes of <see cref="TrainedHostCollection"/>, which use
/// users and items of their own so that they do not see each other's effects. Request bodies are limited to
/// 64 KiB so the byte limit can be tested with small bodies.
/// </summary>
public sealed class TrainedHostFixture : IAsyncLifetime
{
    public const int MaxRequestBytes = 64 * 1024;
    private readonly TemporaryDirectory _directory = new("trained");

    public InProcessHost Host { get; private set; } = null!;

    public HttpClient Client => Host.Client;

    public TestCatalog Catalog { get; } = TestCatalog.Create();

    public string FirstVersion { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await InProcessHost.StartAsync(_directory.Path, HostSettings.Fast(("FuncRec:Ingest:MaxRequestBytes", MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        await Catalog.PutAllAsync(Client);
        await Client.PostAllAsync(Catalog.History(eventsPerUser: 15, seed: 1));
        await Client.WaitForQueueDrainedAsync();
        FirstVersion = (await Client.FineTuneAsync()).GetProperty("version").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TrainedHostCollection : ICollectionFixture<TrainedHostFixture>
{
    public const string Name = "trained host";
}
