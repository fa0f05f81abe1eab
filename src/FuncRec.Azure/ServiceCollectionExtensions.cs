using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FuncRec.Application.Ports;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FuncRec.Azure;

/// <summary>Registers the Azure implementations of every port (the same ports as the embedded stores).</summary>
public static partial class ServiceCollectionExtensions
{
    /// <summary>
    /// Blob, Queue and Cosmos clients (one each, shared), the options they read (validated at start, with messages
    /// naming the settings) and the adapters. Settings: docs/settings.md.
    /// </summary>
    public static IServiceCollection AddFuncRecAzureStores(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();

        services.AddOptions<StorageConnectionOptions>()
            .Configure(options => options.ReadFrom(configuration))
            .Validate(options => options.IsConfigured, StorageConnectionOptions.NotConfiguredMessage)
            .ValidateOnStart();
        services.AddOptions<AzureStorageOptions>()
            .Bind(configuration.GetSection(AzureStorageOptions.Section))
            .Validate(options => IsContainerName(options.ModelContainer), "FuncRec__Storage__ModelContainer must be a blob container name (3-63 lowercase letters, digits and single hyphens)")
            .Validate(options => IsContainerName(options.EventLogContainer), "FuncRec__Storage__EventLogContainer must be a blob container name (3-63 lowercase letters, digits and single hyphens)")
            .Validate(options => options.EventLogSettleTime > TimeSpan.Zero, "FuncRec__Storage__EventLogSettleTime must be positive (it must exceed the longest redelivery delay of a queue message)")
            .ValidateOnStart();
        services.AddOptions<EventQueueOptions>()
            .Configure(options =>
            {
                if (configuration[EventQueueOptions.QueueNameSetting] is { Length: > 0 } name)
                {
                    options.QueueName = name;
                }
            })
            .Validate(options => IsQueueName(options.QueueName) && IsQueueName(options.PoisonQueueName), $"{EventQueueOptions.QueueNameSetting} must be a queue name (3-56 lowercase letters, digits and single hyphens, leaving room for '{EventQueueOptions.PoisonSuffix}')")
            .ValidateOnStart();
        services.AddOptions<CosmosStoreOptions>()
            .Bind(configuration.GetSection(CosmosStoreOptions.Section))
            .Validate(options => !string.IsNullOrWhiteSpace(options.ConnectionString) || options.Endpoint is not null, CosmosClientFactory.NotConfiguredMessage)
            .Validate(options => !string.IsNullOrWhiteSpace(options.Database), "FuncRec__Cosmos__Database must name a database")
            .Validate(options => !string.IsNullOrWhiteSpace(options.UsersContainer) && !string.IsNullOrWhiteSpace(options.ItemsContainer), "FuncRec__Cosmos__UsersContainer and FuncRec__Cosmos__ItemsContainer must name containers")
            .ValidateOnStart();

        services.TryAddSingleton(sp => new AzureCredentials(configuration));
        services.AddAzureClients(clients =>
        {
            clients.UseCredential(sp => sp.GetRequiredService<AzureCredentials>().Credential);
            clients.AddClient<BlobServiceClient, BlobClientOptions>((options, credential, sp) =>
            {
                var connection = sp.GetRequiredService<IOptions<StorageConnectionOptions>>().Value;
                return string.IsNullOrWhiteSpace(connection.ConnectionString)
                    ? new BlobServiceClient(connection.BlobServiceUri, credential, options)
                    : new BlobServiceClient(connection.ConnectionString, options);
            });
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, credential, sp) =>
            {
                // Base64: what the Functions queue trigger decodes by default (host.json extensions.queues.messageEncoding).
                options.MessageEncoding = QueueMessageEncoding.Base64;
                options.MessageDecodingFailed += StorageQueueEventQueue.PoisonUndecodableMessageAsync;
                var connection = sp.GetRequiredService<IOptions<StorageConnectionOptions>>().Value;
                return string.IsNullOrWhiteSpace(connection.ConnectionString)
                    ? new QueueServiceClient(connection.QueueServiceUri, credential, options)
                    : new QueueServiceClient(connection.ConnectionString, options);
            });
        });
        services.AddSingleton(sp => CosmosClientFactory.Create(
            sp.GetRequiredService<IOptions<CosmosStoreOptions>>().Value,
            () => sp.GetRequiredService<AzureCredentials>().Credential));

        services.AddSingleton<CosmosContainers>();
        services.AddSingleton<CosmosUserStore>();
        services.AddSingleton<IUserStore>(sp => sp.GetRequiredService<CosmosUserStore>());
        services.AddSingleton<IItemStore, CosmosItemStore>();
        services.AddSingleton<StorageQueueEventQueue>();
        services.AddSingleton<IEventQueue>(sp => sp.GetRequiredService<StorageQueueEventQueue>());
        services.AddSingleton<IEventQueueReceiver>(sp => sp.GetRequiredService<StorageQueueEventQueue>());
        services.AddSingleton<IEventLog, BlobEventLog>();
        services.AddSingleton<IModelRegistry, BlobModelRegistry>();
        return services;
    }

    private static bool IsContainerName(string name) => name is { Length: >= 3 and <= 63 } && StorageNamePattern().IsMatch(name);

    private static bool IsQueueName(string name) => name is { Length: >= 3 and <= 63 } && StorageNamePattern().IsMatch(name);

    /// <summary>Lowercase letters and digits, single hyphens between them: the rule for blob containers and queues.</summary>
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")]
    private static partial Regex StorageNamePattern();
}
