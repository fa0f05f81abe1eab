using System.Data.Common;
using Azure.Core;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Azure;

/// <summary>
/// Builds the one CosmosClient: from the connection string locally, from the endpoint and the managed identity in
/// Azure. A connection string to a local emulator gets Gateway mode limited to that endpoint (emulators serve no
/// direct-mode replicas and advertise addresses that do not resolve from here) and its self-signed certificate.
/// </summary>
internal static class CosmosClientFactory
{
    public const string NotConfiguredMessage =
        "Cosmos DB is not configured: set FuncRec__Cosmos__ConnectionString (locally: the emulator or cosmosdb-server) " +
        "or FuncRec__Cosmos__Endpoint (identity-based, in Azure).";

    public static CosmosClient Create(CosmosStoreOptions settings, Func<TokenCredential> credential)
    {
        var options = new CosmosClientOptions
        {
            ApplicationName = "FuncRec",
            Serializer = new SystemTextJsonCosmosSerializer(AzureJson.Options),
        };

        if (!string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            if (settings.LocalEmulator ?? IsLoopback(AccountEndpoint(settings.ConnectionString)))
            {
                options.ConnectionMode = ConnectionMode.Gateway;
                options.LimitToEndpoint = true;
                options.HttpClientFactory = LoopbackCertificatePolicy.CreateHttpClient;
            }

            return new CosmosClient(settings.ConnectionString, options);
        }

        if (settings.Endpoint is { } endpoint)
        {
            return new CosmosClient(endpoint.AbsoluteUri, credential(), options);
        }

        throw new InvalidOperationException(NotConfiguredMessage);
    }

    private static Uri? AccountEndpoint(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return builder.TryGetValue("AccountEndpoint", out var value) && Uri.TryCreate(value as string, UriKind.Absolute, out var uri) ? uri : null;
    }

    private static bool IsLoopback(Uri? endpoint) => endpoint is { IsLoopback: true };
}
