namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// A data directory holding the test catalog, a history and an active first model, made once through the HTTP
/// API and then closed, so that tests can start from identical copies of it (several consumers over one copy, or
/// a reference run over another).
/// </summary>
public sealed class PreparedDataDirectory : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new("prepared");

    public TestCatalog Catalog { get; } = TestCatalog.Create(users: 24);

    public string ModelVersion { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using var host = await InProcessHost.StartAsync(_directory.Path, HostSettings.Fast());
        await Catalog.PutAllAsync(host.Client);
        await host.Client.PostAllAsync(Catalog.History(eventsPerUser: 15, seed: 2));
        await host.Client.WaitForQueueDrainedAsync();
        ModelVersion = (await host.Client.FineTuneAsync()).GetProperty("version").GetString()!;
    }

    /// <summary>A new copy of the prepared data (database and model files) in <paramref name="target"/>.</summary>
    public void CopyTo(string target)
    {
        foreach (var file in Directory.EnumerateFiles(_directory.Path, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(_directory.Path, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PreparedDataCollection : ICollectionFixture<PreparedDataDirectory>
{
    public const string Name = "prepared data directory";
}
