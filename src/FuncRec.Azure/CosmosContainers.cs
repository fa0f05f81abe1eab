using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace FuncRec.Azure;

/// <summary>
/// The users and items containers. With <see cref="CosmosStoreOptions.CreateIfMissing"/> (local runs and tests) the
/// database and containers are created at first use; in Azure the infrastructure creates them, because the app's
/// identity has data-plane rights only.
/// </summary>
public sealed class CosmosContainers
{
    public const string UsersPartitionKeyPath = "/id";
    public const string ItemsPartitionKeyPath = "/pk";

    private readonly Container _users;
    private readonly Container _items;
    private readonly OnceInitializer _ready;

    public CosmosContainers(CosmosClient client, IOptions<CosmosStoreOptions> options)
    {
        var settings = options.Value;
        _users = client.GetContainer(settings.Database, settings.UsersContainer);
        _items = client.GetContainer(settings.Database, settings.ItemsContainer);
        _ready = settings.CreateIfMissing
            ? new OnceInitializer(async ct =>
            {
                Database database = await client.CreateDatabaseIfNotExistsAsync(settings.Database, cancellationToken: ct);
                await database.CreateContainerIfNotExistsAsync(new ContainerProperties(settings.UsersContainer, UsersPartitionKeyPath), cancellationToken: ct);
                await database.CreateContainerIfNotExistsAsync(new ContainerProperties(settings.ItemsContainer, ItemsPartitionKeyPath), cancellationToken: ct);
            })
            : OnceInitializer.Nothing;
    }

    public async ValueTask<Container> UsersAsync(CancellationToken cancellationToken)
    {
        await _ready.EnsureAsync(cancellationToken);
        return _users;
    }

    public async ValueTask<Container> ItemsAsync(CancellationToken cancellationToken)
    {
        await _ready.EnsureAsync(cancellationToken);
        return _items;
    }
}
