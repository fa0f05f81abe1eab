using Microsoft.Extensions.Configuration;

namespace FuncRec.Azure;

/// <summary>
/// The storage account behind blobs and queues, read from the settings the Functions runtime uses too: the
/// <c>AzureWebJobsStorage</c> connection string locally, or its identity-based form in Azure
/// (<c>AzureWebJobsStorage__blobServiceUri</c>, <c>__queueServiceUri</c>, <c>__clientId</c>).
/// </summary>
public sealed class StorageConnectionOptions
{
    public const string Setting = "AzureWebJobsStorage";

    public const string NotConfiguredMessage =
        "Storage is not configured: set AzureWebJobsStorage (a connection string; locally UseDevelopmentStorage=true) " +
        "or AzureWebJobsStorage__blobServiceUri and AzureWebJobsStorage__queueServiceUri (identity-based, in Azure).";

    public string? ConnectionString { get; set; }

    public Uri? BlobServiceUri { get; set; }

    public Uri? QueueServiceUri { get; set; }

    /// <summary>Client id of the user-assigned managed identity for storage (falls back to <c>AZURE_CLIENT_ID</c>).</summary>
    public string? ClientId { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ConnectionString) || (BlobServiceUri is not null && QueueServiceUri is not null);

    internal void ReadFrom(IConfiguration configuration)
    {
        var section = configuration.GetSection(Setting);
        ConnectionString = section.Value;
        BlobServiceUri = ParseUri(section["blobServiceUri"], $"{Setting}__blobServiceUri");
        QueueServiceUri = ParseUri(section["queueServiceUri"], $"{Setting}__queueServiceUri");
        ClientId = section["clientId"];
    }

    private static Uri? ParseUri(string? value, string setting)
        => string.IsNullOrWhiteSpace(value) ? null
            : Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri
            : throw new InvalidOperationException($"{setting} must be an absolute URI, not '{value}'.");
}
