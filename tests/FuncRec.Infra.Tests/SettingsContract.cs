namespace FuncRec.Infra.Tests;

/// <summary>
/// What the code cannot say about its own settings, kept here by hand and small: how a local connection maps to its
/// identity-based form in Azure, which settings are for local runs only, and what the platform (not the app) reads.
/// Which settings exist, and their defaults, are derived from the code (<see cref="AppSettingsFromCode"/>); the tests
/// check that every name here is one the code reads, so this list cannot go stale unnoticed.
/// </summary>
public static class SettingsContract
{
    /// <summary>
    /// A connection as the app reads it locally (a connection string) and the settings that replace it in Azure
    /// (identity-based: endpoints, credential and client id, no secret).
    /// </summary>
    public sealed record ConnectionMapping(string Local, IReadOnlyList<string> InAzure);

    public static readonly IReadOnlyList<ConnectionMapping> Connections =
    [
        // Read by the Functions runtime (queue trigger, timer leases, keys: blob, queue and table) and by the app's
        // Blob and Queue clients (blobServiceUri, queueServiceUri, clientId: StorageConnectionOptions).
        new("AzureWebJobsStorage",
        [
            "AzureWebJobsStorage__blobServiceUri",
            "AzureWebJobsStorage__queueServiceUri",
            "AzureWebJobsStorage__tableServiceUri",
            "AzureWebJobsStorage__credential",
            "AzureWebJobsStorage__clientId",
        ]),
        new("FuncRec__Cosmos__ConnectionString", ["FuncRec__Cosmos__Endpoint"]),
    ];

    /// <summary>Settings of the Azure side of a connection that the Functions runtime reads, not the app.</summary>
    public static IEnumerable<string> ConnectionSettingsInAzure => Connections.SelectMany(c => c.InAzure);

    /// <summary>
    /// Settings the app reads that must not be set in Azure, with the reason: connection strings (the identity-based
    /// settings of <see cref="Connections"/> replace them), the create-at-start switches (the app's identity has
    /// data-plane rights only) and the emulator switch (it only applies to a connection string).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> LocalOnly = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["AzureWebJobsStorage"] = "a connection string; in Azure the identity-based AzureWebJobsStorage__* settings replace it",
        ["FuncRec__Cosmos__ConnectionString"] = "a connection string; in Azure FuncRec__Cosmos__Endpoint replaces it",
        ["FuncRec__Storage__CreateIfMissing"] = "the infrastructure creates the queue and containers",
        ["FuncRec__Cosmos__CreateIfMissing"] = "the infrastructure creates the database and containers",
        ["FuncRec__Cosmos__LocalEmulator"] = "applies to a connection string only (unset: detected from a loopback endpoint)",
    };

    /// <summary>Settings the template sets for the platform (the Functions host's telemetry), not read by the app.</summary>
    public static readonly IReadOnlyList<string> PlatformOnly =
    [
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    /// <summary>Settings of the Functions runtime that a local.settings.json must set (on Flex Consumption it lives in functionAppConfig).</summary>
    public static readonly IReadOnlyDictionary<string, string> LocalRuntimeSettings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
    };

    /// <summary>Values of Azure-only settings that the code has no default for.</summary>
    public static readonly IReadOnlyDictionary<string, string> ExpectedAzureValues = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage__credential"] = "managedidentity",
    };

    /// <summary>App settings a Flex Consumption app rejects or ignores: their job moved to functionAppConfig.</summary>
    public static readonly IReadOnlyList<string> RejectedByFlexConsumption =
    [
        "FUNCTIONS_EXTENSION_VERSION",
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_WORKER_RUNTIME_VERSION",
        "FUNCTIONS_MAX_HTTP_CONCURRENCY",
        "FUNCTIONS_WORKER_PROCESS_COUNT",
        "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTOVERVNET",
        "WEBSITE_CONTENTSHARE",
        "WEBSITE_DNS_SERVER",
        "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
        "WEBSITE_NODE_DEFAULT_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
        "WEBSITE_VNET_ROUTE_ALL",
    ];
}
