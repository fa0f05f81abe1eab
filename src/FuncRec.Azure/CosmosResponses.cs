using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Azure;

/// <summary>
/// Reading the stream API's responses: point operations use stream APIs so that the expected outcomes of optimistic
/// concurrency (404, 409, 412) are status codes to branch on rather than exceptions on the hot path.
/// </summary>
internal static class CosmosResponses
{
    /// <summary>Sub-status of a 404 whose container or database does not exist (a misconfiguration, not a missing document).</summary>
    private const string OwnerResourceNotFound = "1003";

    public static ItemRequestOptions WithoutContent { get; } = new() { EnableContentResponseOnWrite = false };

    /// <summary>404 for the document itself; a missing container throws instead of passing for a missing document.</summary>
    public static bool IsMissingDocument(ResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            return false;
        }

        if (response.Headers["x-ms-substatus"] == OwnerResourceNotFound)
        {
            response.EnsureSuccessStatusCode();
        }

        return true;
    }

    public static async Task<T> ReadAsync<T>(ResponseMessage response, CancellationToken cancellationToken)
    {
        response.EnsureSuccessStatusCode();
        return await JsonSerializer.DeserializeAsync<T>(response.Content, AzureJson.Options, cancellationToken)
            ?? throw new InvalidDataException($"Cosmos DB returned an empty {typeof(T).Name}.");
    }

    public static MemoryStream Serialize<T>(T value)
    {
        var stream = new MemoryStream();
        JsonSerializer.Serialize(stream, value, AzureJson.Options);
        stream.Position = 0;
        return stream;
    }
}
