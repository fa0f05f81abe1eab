using System.Net.Security;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FuncRec.Application.Ports;
using FuncRec.Azure;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>
/// <see cref="ServiceCollectionExtensions.AddFuncRecAzureStores"/>: which settings it reads, how it fails without them,
/// and how it builds the clients locally and in Azure. None of these touch the network.
/// </summary>
public sealed class AzureRegistrationTests
{
    private const string LocalStorage = "UseDevelopmentStorage=true";
    private const string LocalCosmos = "AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    [Fact]
    public async Task Start_without_storage_settings_fails_naming_them()
    {
        using var host = BuildHost(new() { ["FuncRec:Cosmos:ConnectionString"] = LocalCosmos });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AzureWebJobsStorage ", error.Message, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__blobServiceUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_without_cosmos_settings_fails_naming_them()
    {
        using var host = BuildHost(new() { ["AzureWebJobsStorage"] = LocalStorage });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("FuncRec__Cosmos__ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("FuncRec__Cosmos__Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_with_an_invalid_queue_name_fails_naming_the_setting()
    {
        using var host = BuildHost(new() { ["AzureWebJobsStorage"] = LocalStorage, ["FuncRec:Cosmos:ConnectionString"] = LocalCosmos, ["FuncRecEventQueue"] = "Events_Queue" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("FuncRecEventQueue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_based_settings_build_clients_for_the_configured_endpoints()
    {
        using var services = Build(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://funcrecdata.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://funcrecdata.queue.core.windows.net",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
            ["FuncRec:Cosmos:Endpoint"] = "https://funcrec-cosmos.documents.azure.com:443/",
        });

        Assert.Equal(new Uri("https://funcrecdata.blob.core.windows.net"), services.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri("https://funcrecdata.queue.core.windows.net"), services.GetRequiredService<QueueServiceClient>().Uri);
        var cosmos = services.GetRequiredService<CosmosClient>();
        Assert.Equal(new Uri("https://funcrec-cosmos.documents.azure.com:443/"), cosmos.Endpoint);
        Assert.Equal(ConnectionMode.Direct, cosmos.ClientOptions.ConnectionMode);
    }

    [Fact]
    public void Managed_identity_is_the_storage_client_id_else_AZURE_CLIENT_ID()
    {
        Assert.Equal("storage-id", AzureCredentials.ManagedIdentityClientId(Configuration(new() { ["AzureWebJobsStorage:clientId"] = "storage-id", ["AZURE_CLIENT_ID"] = "general-id" })));
        Assert.Equal("general-id", AzureCredentials.ManagedIdentityClientId(Configuration(new() { ["AZURE_CLIENT_ID"] = "general-id" })));
        Assert.Null(AzureCredentials.ManagedIdentityClientId(Configuration(new())));
    }

    [Fact]
    public void Connection_string_to_a_loopback_emulator_uses_gateway_mode_limited_to_its_endpoint()
    {
        using var services = Build(new() { ["AzureWebJobsStorage"] = LocalStorage, ["FuncRec:Cosmos:ConnectionString"] = LocalCosmos });

        var options = services.GetRequiredService<CosmosClient>().ClientOptions;

        Assert.Equal(ConnectionMode.Gateway, options.ConnectionMode);
        Assert.True(options.LimitToEndpoint);
        Assert.NotNull(options.HttpClientFactory);
    }

    [Fact]
    public void Connection_string_to_a_real_account_keeps_the_defaults_unless_marked_as_an_emulator()
    {
        const string Remote = "AccountEndpoint=https://funcrec-cosmos.documents.azure.com:443/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
        using var remote = Build(new() { ["AzureWebJobsStorage"] = LocalStorage, ["FuncRec:Cosmos:ConnectionString"] = Remote });
        using var marked = Build(new() { ["AzureWebJobsStorage"] = LocalStorage, ["FuncRec:Cosmos:ConnectionString"] = Remote, ["FuncRec:Cosmos:LocalEmulator"] = "true" });

        Assert.Equal(ConnectionMode.Direct, remote.GetRequiredService<CosmosClient>().ClientOptions.ConnectionMode);
        Assert.False(remote.GetRequiredService<CosmosClient>().ClientOptions.LimitToEndpoint);
        Assert.Null(remote.GetRequiredService<CosmosClient>().ClientOptions.HttpClientFactory);
        Assert.Equal(ConnectionMode.Gateway, marked.GetRequiredService<CosmosClient>().ClientOptions.ConnectionMode);
    }

    [Theory]
    [InlineData("https://127.0.0.1:8081/", SslPolicyErrors.RemoteCertificateChainErrors, true)]
    [InlineData("https://localhost:8081/", SslPolicyErrors.RemoteCertificateNameMismatch, true)]
    [InlineData("https://[::1]:8081/", SslPolicyErrors.RemoteCertificateChainErrors, true)]
    [InlineData("https://funcrec-cosmos.documents.azure.com/", SslPolicyErrors.RemoteCertificateChainErrors, false)]
    [InlineData("https://10.0.0.4:8081/", SslPolicyErrors.RemoteCertificateChainErrors, false)]
    [InlineData("https://funcrec-cosmos.documents.azure.com/", SslPolicyErrors.None, true)]
    public void Certificate_errors_are_accepted_only_from_loopback_addresses(string url, SslPolicyErrors errors, bool accepted)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);

        Assert.Equal(accepted, LoopbackCertificatePolicy.Validate(request, null, null, errors));
    }

    [Fact]
    public void Defaults_are_the_names_of_docs_settings_md()
    {
        using var services = Build(new() { ["AzureWebJobsStorage"] = LocalStorage, ["FuncRec:Cosmos:ConnectionString"] = LocalCosmos });

        var storage = services.GetRequiredService<IOptions<AzureStorageOptions>>().Value;
        var cosmos = services.GetRequiredService<IOptions<CosmosStoreOptions>>().Value;
        Assert.Equal(("funcrec-models", "funcrec-eventlog", false), (storage.ModelContainer, storage.EventLogContainer, storage.CreateIfMissing));
        Assert.Equal(TimeSpan.FromMinutes(15), storage.EventLogSettleTime);
        Assert.Equal(("funcrec", "users", "items", false), (cosmos.Database, cosmos.UsersContainer, cosmos.ItemsContainer, cosmos.CreateIfMissing));
        Assert.Equal(("funcrec-events", "funcrec-events-poison"), (services.GetRequiredService<IOptions<EventQueueOptions>>().Value.QueueName, services.GetRequiredService<IOptions<EventQueueOptions>>().Value.PoisonQueueName));
    }

    [Fact]
    public void Settings_use_the_documented_names()
    {
        using var services = Build(new()
        {
            ["AzureWebJobsStorage"] = LocalStorage,
            ["FuncRecEventQueue"] = "my-events",
            ["FuncRec:Storage:ModelContainer"] = "my-models",
            ["FuncRec:Storage:EventLogContainer"] = "my-log",
            ["FuncRec:Storage:CreateIfMissing"] = "true",
            ["FuncRec:Storage:EventLogSettleTime"] = "00:20:00",
            ["FuncRec:Cosmos:ConnectionString"] = LocalCosmos,
            ["FuncRec:Cosmos:Database"] = "my-db",
            ["FuncRec:Cosmos:UsersContainer"] = "my-users",
            ["FuncRec:Cosmos:ItemsContainer"] = "my-items",
            ["FuncRec:Cosmos:CreateIfMissing"] = "true",
        });

        var storage = services.GetRequiredService<IOptions<AzureStorageOptions>>().Value;
        var cosmos = services.GetRequiredService<IOptions<CosmosStoreOptions>>().Value;
        Assert.Equal(("my-models", "my-log", true, TimeSpan.FromMinutes(20)), (storage.ModelContainer, storage.EventLogContainer, storage.CreateIfMissing, storage.EventLogSettleTime));
        Assert.Equal(("my-db", "my-users", "my-items", true), (cosmos.Database, cosmos.UsersContainer, cosmos.ItemsContainer, cosmos.CreateIfMissing));
        Assert.Equal("my-events", services.GetRequiredService<IOptions<EventQueueOptions>>().Value.QueueName);
    }

    [Fact]
    public void Every_port_is_served_by_its_Azure_adapter()
    {
        using var services = Build(new() { ["AzureWebJobsStorage"] = LocalStorage, ["FuncRec:Cosmos:ConnectionString"] = LocalCosmos });

        Assert.IsType<CosmosUserStore>(services.GetRequiredService<IUserStore>());
        Assert.IsType<CosmosItemStore>(services.GetRequiredService<IItemStore>());
        Assert.IsType<StorageQueueEventQueue>(services.GetRequiredService<IEventQueue>());
        Assert.Same(services.GetRequiredService<IEventQueue>(), services.GetRequiredService<IEventQueueReceiver>());
        Assert.IsType<BlobEventLog>(services.GetRequiredService<IEventLog>());
        Assert.IsType<BlobModelRegistry>(services.GetRequiredService<IModelRegistry>());
        Assert.Same(services.GetRequiredService<BlobServiceClient>(), services.GetRequiredService<BlobServiceClient>());
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings)
        => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static ServiceProvider Build(Dictionary<string, string?> settings)
        => new ServiceCollection().AddFuncRecAzureStores(Configuration(settings)).BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddFuncRecAzureStores(builder.Configuration);
        return builder.Build();
    }
}
