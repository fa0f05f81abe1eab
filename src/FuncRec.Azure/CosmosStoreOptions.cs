namespace FuncRec.Azure;

/// <summary>Where user and item state live in Cosmos DB (bound from <c>FuncRec:Cosmos</c>).</summary>
public sealed class CosmosStoreOptions
{
    public const string Section = "FuncRec:Cosmos";

    /// <summary>Account endpoint, used with DefaultAzureCredential (managed identity) in Azure, where local auth is disabled.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Connection string for local runs (the Cosmos emulator or cosmosdb-server).</summary>
    public string? ConnectionString { get; set; }

    public string Database { get; set; } = "funcrec";

    /// <summary>Users container, partition key <c>/id</c>.</summary>
    public string UsersContainer { get; set; } = "users";

    /// <summary>Items container, partition key <c>/pk</c> (one of 16 buckets, so listing is 16 single-partition queries).</summary>
    public string ItemsContainer { get; set; } = "items";

    /// <summary>Create the database and containers at first use (local runs and tests only; in Azure the identity has data-plane rights only).</summary>
    public bool CreateIfMissing { get; set; }

    /// <summary>
    /// The connection string targets a local emulator: Gateway mode limited to the given endpoint, and its self-signed
    /// certificate accepted on loopback addresses. Null: decided from the endpoint (localhost or a loopback address).
    /// </summary>
    public bool? LocalEmulator { get; set; }
}
