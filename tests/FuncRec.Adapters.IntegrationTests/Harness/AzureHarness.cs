using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FuncRec.Application.Ports;
using FuncRec.Azure;
using FuncRec.TestSupport;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FuncRec.Adapters.IntegrationTests.Harness;

/// <summary>
/// The Azure adapters on the emulators, registered by <see cref="ServiceCollectionExtensions.AddFuncRecAzureStores"/>
/// exactly as the hosts do, with containers, queues and a database of their own, and a manual clock (each reading
/// moves it on by a millisecond) so log keys and settle times are deterministic.
/// </summary>
public sealed class AzureHarness : AdapterHarness
{
    /// <summary>Short, so tests can let the log settle by moving the clock; production uses minutes.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    private readonly ServiceProvider _services;

    public AzureHarness(EmulatorFixture emulators, Action<Dictionary<string, string?>>? adjustSettings = null, TimeProvider? clock = null)
    {
        Settings = emulators.CreateSettings();
        Settings["FuncRec:Storage:EventLogSettleTime"] = SettleTime.ToString();
        adjustSettings?.Invoke(Settings);
        Configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        Clock = new ManualClock(new DateTimeOffset(2026, 3, 31, 22, 10, 0, TimeSpan.Zero)) { AutoAdvance = TimeSpan.FromMilliseconds(1) };
        _services = new ServiceCollection()
            .AddSingleton(clock ?? Clock)
            .AddFuncRecAzureStores(Configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public Dictionary<string, string?> Settings { get; }

    public IConfiguration Configuration { get; }

    /// <summary>The adapters' clock, unless the harness was given another one.</summary>
    public ManualClock Clock { get; }

    public IServiceProvider Services => _services;

    protected override IServiceProvider Ports => _services;

    public BlobContainerClient ModelContainer => _services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(Settings["FuncRec:Storage:ModelContainer"]);

    public BlobContainerClient EventLogContainer => _services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(Settings["FuncRec:Storage:EventLogContainer"]);

    public QueueClient EventQueue => _services.GetRequiredService<QueueServiceClient>().GetQueueClient(Settings["FuncRecEventQueue"]);

    public QueueClient PoisonQueue => _services.GetRequiredService<QueueServiceClient>().GetQueueClient(Settings["FuncRecEventQueue"] + EventQueueOptions.PoisonSuffix);

    public CosmosClient Cosmos => _services.GetRequiredService<CosmosClient>();

    public Container UsersContainer => Cosmos.GetContainer(Settings["FuncRec:Cosmos:Database"], _services.GetRequiredService<IOptions<CosmosStoreOptions>>().Value.UsersContainer);

    public Container ItemsContainer => Cosmos.GetContainer(Settings["FuncRec:Cosmos:Database"], _services.GetRequiredService<IOptions<CosmosStoreOptions>>().Value.ItemsContainer);

    public override void AdvanceClock(TimeSpan by) => Clock.Advance(by);

    public override void LetLogSettle() => Clock.Advance(SettleTime + TimeSpan.FromMilliseconds(1));

    public override async Task<IReadOnlyList<PoisonRecord>> ReadPoisonAsync()
    {
        var poisoned = new List<PoisonRecord>();
        if (!await PoisonQueue.ExistsAsync())
        {
            return poisoned;
        }

        foreach (var message in (await PoisonQueue.PeekMessagesAsync(32)).Value)
        {
            var envelope = PoisonedMessage.Parse(message.Body.ToString());
            poisoned.Add(new PoisonRecord(envelope.ReadBody(), envelope.Reason, envelope.DequeueCount));
        }

        return poisoned;
    }

    public override async ValueTask DisposeAsync()
    {
        // The emulators keep everything in memory for the whole run: leave nothing behind.
        await Task.WhenAll(
            ModelContainer.DeleteIfExistsAsync(),
            EventLogContainer.DeleteIfExistsAsync(),
            EventQueue.DeleteIfExistsAsync(),
            PoisonQueue.DeleteIfExistsAsync(),
            DeleteDatabaseAsync());
        await _services.DisposeAsync();
    }

    private async Task DeleteDatabaseAsync()
    {
        using var response = await Cosmos.GetDatabase(Settings["FuncRec:Cosmos:Database"]).DeleteStreamAsync();
    }
}
