using System.Net;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Azure;

/// <summary>
/// Users in Cosmos DB, partition key <c>/id</c>: every operation is a point operation on one logical partition; the
/// ETag of the stored document is the concurrency token (Replace with If-Match; Create for "only if none exists").
/// </summary>
public sealed class CosmosUserStore(CosmosContainers containers) : IUserStore
{
    public async Task<Versioned<UserDocument>?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var key = CosmosIds.Encode(id);
        var container = await containers.UsersAsync(cancellationToken);
        using var response = await container.ReadItemStreamAsync(key, new PartitionKey(key), cancellationToken: cancellationToken);
        if (CosmosResponses.IsMissingDocument(response))
        {
            return null;
        }

        var stored = await CosmosResponses.ReadAsync<CosmosStoredDocument<UserDocument>>(response, cancellationToken);
        return new Versioned<UserDocument>(stored.Doc, response.Headers.ETag);
    }

    public async Task<string?> TryWriteAsync(UserDocument document, string? expectedETag, CancellationToken cancellationToken)
    {
        var key = CosmosIds.Encode(document.Id);
        var container = await containers.UsersAsync(cancellationToken);
        using var content = CosmosResponses.Serialize(new CosmosStoredDocument<UserDocument>(key, document, document.UpdatedAt.UtcTicks));
        using var response = expectedETag is null
            ? await container.CreateItemStreamAsync(content, new PartitionKey(key), CosmosResponses.WithoutContent, cancellationToken)
            : await container.ReplaceItemStreamAsync(content, key, new PartitionKey(key), new ItemRequestOptions { IfMatchEtag = expectedETag, EnableContentResponseOnWrite = false }, cancellationToken);

        // 409: it exists (create-only); 412: it changed since it was read; 404: it was deleted since it was read.
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed || CosmosResponses.IsMissingDocument(response))
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return response.Headers.ETag;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var key = CosmosIds.Encode(id);
        var container = await containers.UsersAsync(cancellationToken);
        using var response = await container.DeleteItemStreamAsync(key, new PartitionKey(key), cancellationToken: cancellationToken);
        if (CosmosResponses.IsMissingDocument(response))
        {
            return false;
        }

        response.EnsureSuccessStatusCode();
        return true;
    }
}
