using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace FuncRec.Azure;

/// <summary>
/// The one token credential the Azure clients share in Azure: DefaultAzureCredential, pinned to the user-assigned
/// managed identity (<c>AzureWebJobsStorage__clientId</c>, else <c>AZURE_CLIENT_ID</c>). Created on first use, so
/// local runs on connection strings never build it.
/// </summary>
public sealed class AzureCredentials(IConfiguration configuration)
{
    private readonly Lazy<TokenCredential> _credential = new(() => new DefaultAzureCredential(new DefaultAzureCredentialOptions
    {
        ManagedIdentityClientId = ManagedIdentityClientId(configuration),
    }));

    public TokenCredential Credential => _credential.Value;

    internal static string? ManagedIdentityClientId(IConfiguration configuration)
        => configuration[$"{StorageConnectionOptions.Setting}:clientId"] is { Length: > 0 } storageClientId ? storageClientId
            : configuration["AZURE_CLIENT_ID"] is { Length: > 0 } clientId ? clientId
            : null;
}
