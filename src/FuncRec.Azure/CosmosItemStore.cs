using System.Net;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Azure;

/// <summary>
/// The item catalog in Cosmos DB, partition key <c>/pk</c> = one of 16 buckets of the id (<see cref="ItemPartitions"/>):
/// reads and writes are point operations, and listing what changed (for scorers, not a request path) is 16
/// single-partition queries on <c>updated</c>.
/// </summary>
public sealed class CosmosItemStore(CosmosContainers containers) : IItemStore
{
    private const int PageSize = 1000;

    public async Task<ItemDocument?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var key = CosmosIds.Encode(id);
        var container = await containers.ItemsAsync(cancellationToken);
        using var response = await container.ReadItemStreamAsync(key, new PartitionKey(ItemPartitions.Of(id)), cancellationToken: cancellationToken);
        return CosmosResponses.IsMissingDocument(response) ? null
            : (await CosmosResponses.ReadAsync<CosmosStoredDocument<ItemDocument>>(response, cancellationToken)).Doc;
    }

    public async Task UpsertAsync(ItemDocument item, CancellationToken cancellationToken)
    {
        var container = await containers.ItemsAsync(cancellationToken);
        var partition = ItemPartitions.Of(item.Id);
        using var content = CosmosResponses.Serialize(Stored(item, partition));
        using var response = await container.UpsertItemStreamAsync(content, new PartitionKey(partition), CosmosResponses.WithoutContent, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<bool> TryCreateAsync(ItemDocument item, CancellationToken cancellationToken)
    {
        var container = await containers.ItemsAsync(cancellationToken);
        var partition = ItemPartitions.Of(item.Id);
        using var content = CosmosResponses.Serialize(Stored(item, partition));
        using var response = await container.CreateItemStreamAsync(content, new PartitionKey(partition), CosmosResponses.WithoutContent, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }

    public async Task<IReadOnlyList<ItemDocument>> ListChangedSinceAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var container = await containers.ItemsAsync(cancellationToken);
        var perPartition = await Task.WhenAll(ItemPartitions.All.Select(partition => ListPartitionAsync(container, partition, since, cancellationToken)));

        // The same order as the embedded store, which the queries themselves cannot give (no ORDER BY across buckets).
        return perPartition.SelectMany(items => items)
            .OrderBy(item => item.UpdatedAt.UtcTicks)
            .ThenBy(item => item.Id, StringComparer.Ordinal)
            .ToArray();
    }

    private static async Task<List<ItemDocument>> ListPartitionAsync(Container container, string partition, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        // The bucket is in the query text as well as in the request options: the partition key option makes it a
        // single-partition query on Cosmos DB, the filter keeps it correct where the partition key is not enforced
        // on queries (cosmosdb-server). Ticks are numbers (doubles) in Cosmos: rounding is monotonic, so
        // updated >= since never drops an item, at worst it returns one changed a few microseconds earlier.
        var query = since is null
            ? new QueryDefinition("SELECT VALUE c.doc FROM c WHERE c.pk = @pk").WithParameter("@pk", partition)
            : new QueryDefinition("SELECT VALUE c.doc FROM c WHERE c.pk = @pk AND c.updated >= @since").WithParameter("@pk", partition).WithParameter("@since", since.Value.UtcTicks);
        var items = new List<ItemDocument>();
        using var iterator = container.GetItemQueryIterator<ItemDocument>(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(partition), MaxItemCount = PageSize });
        while (iterator.HasMoreResults)
        {
            items.AddRange(await iterator.ReadNextAsync(cancellationToken));
        }

        return items;
    }

    private static CosmosStoredDocument<ItemDocument> Stored(ItemDocument item, string partition)
        => new(CosmosIds.Encode(item.Id), item, item.UpdatedAt.UtcTicks, partition);
}
