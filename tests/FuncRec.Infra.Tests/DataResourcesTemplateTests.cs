using System.Text.Json.Nodes;
using FuncRec.Azure;

namespace FuncRec.Infra.Tests;

public sealed class DataResourcesTemplateTests
{
    private const string CosmosAccountType = "Microsoft.DocumentDB/databaseAccounts";
    private const string CosmosDatabaseType = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases";
    private const string CosmosContainerType = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers";

    [Fact]
    public async Task Cosmos_is_serverless_by_default()
    {
        var template = await CompiledTemplate.MainAsync();

        var capabilities = Assert.IsType<JsonArray>(template.Single(CosmosAccountType).Value("properties.capabilities").Node);
        Assert.Contains(capabilities, c => (string?)c!["name"] == "EnableServerless");
        var options = template.Single(CosmosDatabaseType).Value("properties.options");
        Assert.True(options.IsKnown);
        Assert.Null(((JsonObject)options.Node!)["throughput"]);
    }

    [Fact]
    public async Task Cosmos_uses_shared_provisioned_throughput_when_given()
    {
        var template = (await CompiledTemplate.MainAsync()).With(new Dictionary<string, JsonNode?> { ["cosmosThroughput"] = 400 });

        Assert.Empty(Assert.IsType<JsonArray>(template.Single(CosmosAccountType).Value("properties.capabilities").Node));
        Assert.Equal(400, template.Single(CosmosDatabaseType).Value("properties.options.throughput").AsInteger);
    }

    [Fact]
    public async Task Cosmos_database_and_containers_are_the_ones_the_app_settings_name_with_the_app_partition_keys()
    {
        var template = await CompiledTemplate.MainAsync();
        var settings = template.AppSettings;

        Assert.Equal(settings["FuncRec__Cosmos__Database"], template.Single(CosmosDatabaseType).LeafName);
        var containers = template.OfType(CosmosContainerType).ToDictionary(c => c.LeafName ?? c.RawName);
        // The app's containers and nothing else (no container the app does not use).
        var users = settings["FuncRec__Cosmos__UsersContainer"];
        var items = settings["FuncRec__Cosmos__ItemsContainer"];
        Assert.Equal(new[] { users, items }.Order(), containers.Keys.Order());
        foreach (var container in containers.Values)
        {
            Assert.Equal(container.LeafName, container.Value("properties.resource.id").AsString);
            Assert.Equal("Hash", container.Value("properties.resource.partitionKey.kind").AsString);
            // Version 2 (large partition keys), as the SDK creates containers for local runs (CreateIfMissing).
            Assert.Equal(2, container.Value("properties.resource.partitionKey.version").AsInteger);
        }

        Assert.Equal(CosmosContainers.UsersPartitionKeyPath, PartitionKey(containers[users]));
        Assert.Equal(CosmosContainers.ItemsPartitionKeyPath, PartitionKey(containers[items]));
    }

    [Fact]
    public async Task Cosmos_indexes_only_what_the_app_queries()
    {
        var template = await CompiledTemplate.MainAsync();
        var settings = template.AppSettings;
        var containers = template.OfType(CosmosContainerType).ToDictionary(c => c.LeafName!);

        // Users: point reads by id only, which need no index.
        var users = containers[settings["FuncRec__Cosmos__UsersContainer"]];
        Assert.Equal("consistent", users.Value("properties.resource.indexingPolicy.indexingMode").AsString);
        Assert.Empty(Paths(users, "includedPaths"));
        Assert.Equal(["/*"], Paths(users, "excludedPaths"));

        // Items: listing filters on the bucket and the update time (c.pk = @pk AND c.updated >= @since); the wrapped
        // document (/doc) is never indexed.
        var items = containers[settings["FuncRec__Cosmos__ItemsContainer"]];
        Assert.Equal("consistent", items.Value("properties.resource.indexingPolicy.indexingMode").AsString);
        Assert.Equal(["/pk/?", "/updated/?"], Paths(items, "includedPaths").Order());
        Assert.Equal(["/*"], Paths(items, "excludedPaths"));
    }

    [Fact]
    public async Task Cosmos_containers_keep_their_documents()
    {
        var template = await CompiledTemplate.MainAsync();

        var expiring = template.OfType(CosmosContainerType).Where(c => c.Raw("properties.resource.defaultTtl") is not null).Select(c => c.LeafName).ToList();
        Assert.True(expiring.Count == 0, $"Containers with a time to live: {string.Join(", ", expiring)}");
    }

    [Fact]
    public async Task Storage_has_the_event_queue_and_its_poison_queue()
    {
        var template = await CompiledTemplate.MainAsync();

        var queues = template.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.LeafName).Order();
        var queue = template.AppSettings[EventQueueOptions.QueueNameSetting];
        Assert.Equal([queue, queue + EventQueueOptions.PoisonSuffix], queues);
    }

    [Fact]
    public async Task Storage_has_the_model_registry_event_log_and_app_package_containers()
    {
        var template = await CompiledTemplate.MainAsync();
        var settings = template.AppSettings;

        var containers = template.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        Assert.Equal(3, containers.Count);
        Assert.Contains(settings["FuncRec__Storage__ModelContainer"], containers.Select(c => c.LeafName));
        Assert.Contains(settings["FuncRec__Storage__EventLogContainer"], containers.Select(c => c.LeafName));
        // The package container's name is derived per deployment (uniqueString), so it is known only as an expression.
        Assert.Contains(containers, c => c.LeafNameExpression.Text == "parameters('deploymentContainerName')");
    }

    private static string? PartitionKey(TemplateResource container) =>
        (string?)Assert.Single(Assert.IsType<JsonArray>(container.Value("properties.resource.partitionKey.paths").Node));

    private static List<string> Paths(TemplateResource container, string kind) =>
        Assert.IsType<JsonArray>(container.Value($"properties.resource.indexingPolicy.{kind}").Node)
            .Select(p => (string)p!["path"]!)
            .ToList();
}
