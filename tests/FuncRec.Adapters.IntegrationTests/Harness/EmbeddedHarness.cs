using FuncRec.Application.Ports;
using FuncRec.Embedded;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Adapters.IntegrationTests.Harness;

/// <summary>The embedded adapters (SQLite and model files) in a temporary directory, registered as the local host does.</summary>
public sealed class EmbeddedHarness : AdapterHarness
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("funcrec-embedded-");
    private readonly ServiceProvider _services;

    /// <param name="writeBehindMilliseconds">The stores' write-behind interval (<see cref="EmbeddedOptions.WriteBehindMilliseconds"/>); 0, the harness's default, stores every write at once.</param>
    public EmbeddedHarness(int writeBehindMilliseconds = 0)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{EmbeddedOptions.Section}:DataDirectory"] = _directory.FullName,
                [$"{EmbeddedOptions.Section}:WriteBehindMilliseconds"] = writeBehindMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            .Build();
        _services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddFuncRecEmbeddedStores(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    protected override IServiceProvider Ports => _services;

    public override void AdvanceClock(TimeSpan by)
    {
    }

    public override void LetLogSettle()
    {
    }

    public override Task<IReadOnlyList<PoisonRecord>> ReadPoisonAsync()
        => Task.FromResult<IReadOnlyList<PoisonRecord>>(_services.GetRequiredService<SqliteEventQueue>().PoisonMessages()
            .Select(p => new PoisonRecord(p.Body, p.Reason, p.DequeueCount)).ToArray());

    public override async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();

        // Pooled connections keep the database file open; release them so the directory can go.
        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
