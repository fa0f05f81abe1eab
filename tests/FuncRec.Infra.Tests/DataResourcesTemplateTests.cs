using System.Text.Json.Nodes;

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
    public async Task Cosmos_database_and_containers_are_the_ones_the_app_reads_with_partition_key_id()
    {
        var template = await CompiledTemplate.MainAsync();

        Assert.Equal(SettingsContract.ExpectedValues["FuncRec__Cosmos__Database"], template.Single(CosmosDatabaseType).LeafName);
        var containers = template.OfType(CosmosContainerType).ToDictionary(c => c.LeafName ?? c.RawName);
        string[] expected =
        [
            SettingsContract.ExpectedValues["FuncRec__Cosmos__UsersContainer"],
            SettingsContract.ExpectedValues["FuncRec__Cosmos__ItemsContainer"],
            SettingsContract.ExpectedValues["FuncRec__Cosmos__EventIdsContainer"],
        ];
        Assert.Equal(expected.Order(), containers.Keys.Order());
        foreach (var container in containers.Values)
        {
            Assert.Equal(container.LeafName, container.Value("properties.resource.id").AsString);
            var paths = Assert.IsType<JsonArray>(container.Value("properties.resource.partitionKey.paths").Node);
            Assert.Equal("/id", (string?)Assert.Single(paths));
        }
    }

    [Fact]
    public async Task Event_ids_expire_after_seven_days_by_default_and_other_containers_keep_their_items()
    {
        var template = await CompiledTemplate.MainAsync();

        var containers = template.OfType(CosmosContainerType).ToDictionary(c => c.LeafName!);
        Assert.Equal(7 * 24 * 60 * 60, containers["eventids"].Value("properties.resource.defaultTtl").AsInteger);
        Assert.Null(containers["users"].Raw("properties.resource.defaultTtl"));
        Assert.Null(containers["items"].Raw("properties.resource.defaultTtl"));
    }

    [Fact]
    public async Task Storage_has_the_event_queue_and_its_poison_queue()
    {
        var template = await CompiledTemplate.MainAsync();

        var queues = template.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.LeafName).Order();
        var queue = SettingsContract.ExpectedValues["FuncRecEventQueue"];
        Assert.Equal([queue, $"{queue}-poison"], queues);
    }

    [Fact]
    public async Task Storage_has_the_model_registry_event_log_and_app_package_containers()
    {
        var template = await CompiledTemplate.MainAsync();

        var containers = template.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        Assert.Equal(3, containers.Count);
        Assert.Contains(SettingsContract.ExpectedValues["FuncRec__Storage__ModelContainer"], containers.Select(c => c.LeafName));
        Assert.Contains(SettingsContract.ExpectedValues["FuncRec__Storage__EventLogContainer"], containers.Select(c => c.LeafName));
        // The package container's name is derived per deployment (uniqueString), so it is known only as an expression.
        Assert.Contains(containers, c => c.LeafNameExpression.Text == "parameters('deploymentContainerName')");
    }
}
