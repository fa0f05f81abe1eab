namespace FuncRec.Infra.Tests;

/// <summary>
/// The app settings contract of docs/settings.md as the infrastructure sees it: the one place the infra tests keep
/// setting names.
/// </summary>
public static class SettingsContract
{
    /// <summary>Settings the app or the Functions runtime reads in Azure; the template must set every one.</summary>
    public static readonly IReadOnlyList<string> SetInAzure =
    [
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AZURE_CLIENT_ID",
        "FuncRecEventQueue",
        "FuncRecFineTuneSchedule",
        "FuncRec__Storage__ModelContainer",
        "FuncRec__Storage__EventLogContainer",
        "FuncRec__Cosmos__Endpoint",
        "FuncRec__Cosmos__Database",
        "FuncRec__Cosmos__UsersContainer",
        "FuncRec__Cosmos__ItemsContainer",
        "FuncRec__Cosmos__EventIdsContainer",
        "FuncRec__Serving__ModelRefreshSeconds",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    /// <summary>Settings the platform reads that docs/settings.md (the app's contract) does not list.</summary>
    public static readonly IReadOnlyList<string> PlatformOnly =
    [
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    /// <summary>
    /// Local-run settings that must not be set in Azure: connection strings (identity-based settings replace them)
    /// and the create-at-start switch (the app's identity has data-plane rights only).
    /// </summary>
    public static readonly IReadOnlyList<string> LocalOnly =
    [
        "AzureWebJobsStorage",
        "FuncRec__Cosmos__ConnectionString",
        "FuncRec__Cosmos__CreateIfMissing",
    ];

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

    /// <summary>Values that must equal the app's defaults (docs/settings.md) so both sides name the same things.</summary>
    public static readonly IReadOnlyDictionary<string, string> ExpectedValues = new Dictionary<string, string>
    {
        ["AzureWebJobsStorage__credential"] = "managedidentity",
        ["FuncRecEventQueue"] = "funcrec-events",
        ["FuncRecFineTuneSchedule"] = "0 */30 * * * *",
        ["FuncRec__Storage__ModelContainer"] = "funcrec-models",
        ["FuncRec__Storage__EventLogContainer"] = "funcrec-eventlog",
        ["FuncRec__Cosmos__Database"] = "funcrec",
        ["FuncRec__Cosmos__UsersContainer"] = "users",
        ["FuncRec__Cosmos__ItemsContainer"] = "items",
        ["FuncRec__Cosmos__EventIdsContainer"] = "eventids",
        ["FuncRec__Serving__ModelRefreshSeconds"] = "30",
    };
}
